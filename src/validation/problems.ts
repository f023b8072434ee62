// What admission says about an object: field errors and warnings, each naming the field.
import type { z } from 'zod';

export type Severity = 'error' | 'warning';

export interface Problem {
  /** Field path such as `spec.podConfig.volumes[0].name`; empty for the whole object. */
  field: string;
  reason: string;
  severity: Severity;
}

export type PathSegment = string | number;

export function fieldPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out === '' ? String(s) : `.${String(s)}`;
  }
  return out;
}

export const error = (segments: readonly PropertyKey[], reason: string): Problem => ({
  field: fieldPath(segments),
  reason,
  severity: 'error',
});

export const warning = (segments: readonly PropertyKey[], reason: string): Problem => ({
  field: fieldPath(segments),
  reason,
  severity: 'warning',
});

/** Reasons for unknown fields where a better word than "unknown field" helps the user. */
export type UnknownFieldReason = (path: readonly PropertyKey[], key: string) => string | undefined;

/** Zod's issues as field problems. Unknown keys become one problem per key, at the key's path. */
export function problemsFromZod(
  issues: readonly z.core.$ZodIssue[],
  unknownField?: UnknownFieldReason,
): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const reason =
          unknownField?.(issue.path, key) ??
          'unknown field (not part of the API; it would be dropped)';
        out.push(error([...issue.path, key], reason));
      }
      continue;
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the alternative that got furthest rather than "invalid input".
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      out.push(...problemsFromZod(best, unknownField));
      continue;
    }
    out.push(error(issue.path, reasonOf(issue)));
  }
  return out;
}

function reasonOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    const received = (issue as { input?: unknown }).input;
    if (received === undefined) return `required field is missing (expected ${issue.expected})`;
    return `must be ${article(issue.expected)} (got ${describe(received)})`;
  }
  if (issue.code === 'invalid_value') {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return issue.message;
}

function article(expected: string): string {
  if (expected === 'int') return 'an integer';
  if (expected === 'array') return 'a list';
  if (expected === 'object') return 'an object (a map)';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number')
    return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** `FIELD: REASON` (warnings marked unless the reader already knows), as nbv prints problems. */
export function formatProblem(p: Problem, markWarning = true): string {
  const field = p.field ? `${p.field}: ` : '';
  return `${field}${markWarning && p.severity === 'warning' ? 'warning: ' : ''}${p.reason}`;
}
