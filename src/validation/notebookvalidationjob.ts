// Admission rules for NotebookValidationJob beyond what the schema states.
import type { NotebookValidationJobSpec } from '../api/notebookvalidationjob.ts';
import { parseGoDuration } from '../util/duration.ts';
import { validateGitSource } from './git.ts';
import { error, warning, type PathSegment, type Problem } from './problems.ts';
import { validateVolumes } from './volumes.ts';

const SPEC = ['spec'];
const POD = ['spec', 'podConfig'];
const PYTHON_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
/** Longest timeout accepted: a week (activeDeadlineSeconds must stay sane). */
const MAX_TIMEOUT_MS = 7 * 24 * 3_600_000;

function exactlyOne(obj: object, keys: readonly string[]): boolean {
  return keys.filter((k) => (obj as Record<string, unknown>)[k] !== undefined).length === 1;
}

function validateTimeout(timeout: string): Problem[] {
  const ms = parseGoDuration(timeout);
  if (ms === undefined)
    return [error([...SPEC, 'timeout'], 'must be a duration such as 30m, 1h30m or 90s')];
  if (ms < 1000) return [error([...SPEC, 'timeout'], 'must be at least 1s')];
  if (ms > MAX_TIMEOUT_MS) return [error([...SPEC, 'timeout'], 'must be at most 168h (7 days)')];
  return [];
}

function validateEnv(spec: NotebookValidationJobSpec): Problem[] {
  const problems: Problem[] = [];
  (spec.podConfig.env ?? []).forEach((env, i) => {
    const path: PathSegment[] = [...POD, 'env', i];
    if (!ENV_NAME.test(env.name))
      problems.push(error([...path, 'name'], 'must be a valid environment variable name'));
    if (env.value !== undefined && env.valueFrom !== undefined) {
      problems.push(error(path, 'set either value or valueFrom, not both'));
    }
    if (env.valueFrom && !exactlyOne(env.valueFrom, ['configMapKeyRef', 'secretKeyRef'])) {
      problems.push(
        error([...path, 'valueFrom'], 'must set exactly one of configMapKeyRef, secretKeyRef'),
      );
    }
  });
  (spec.podConfig.envFrom ?? []).forEach((source, i) => {
    if (!exactlyOne(source, ['configMapRef', 'secretRef'])) {
      problems.push(
        error([...POD, 'envFrom', i], 'must set exactly one of configMapRef, secretRef'),
      );
    }
  });
  (spec.podConfig.tolerations ?? []).forEach((t, i) => {
    if (t.operator === 'Exists' && t.value) {
      problems.push(
        error([...POD, 'tolerations', i, 'value'], 'must be empty when operator is Exists'),
      );
    }
  });
  return problems;
}

function validateParameters(spec: NotebookValidationJobSpec): Problem[] {
  return Object.keys(spec.notebook.parameters ?? {}).flatMap((name) =>
    PYTHON_IDENTIFIER.test(name)
      ? []
      : [
          error(
            [...SPEC, 'notebook', 'parameters', name],
            'parameter names must be Python identifiers (papermill assigns them as variables)',
          ),
        ],
  );
}

function validateComparison(spec: NotebookValidationJobSpec): Problem[] {
  const problems: Problem[] = [];
  (spec.comparisonConfig?.customTimestampPatterns ?? []).forEach((pattern, i) => {
    try {
      new RegExp(pattern);
    } catch (err) {
      problems.push(
        error(
          [...SPEC, 'comparisonConfig', 'customTimestampPatterns', i],
          `is not a valid regular expression: ${(err as Error).message}`,
        ),
      );
    }
  });
  if (spec.comparisonConfig && !spec.goldenNotebook) {
    problems.push(
      warning([...SPEC, 'comparisonConfig'], 'has no effect without spec.goldenNotebook'),
    );
  }
  (spec.validationConfig?.expectedOutputs ?? []).forEach((expected, i) => {
    if (
      expected.minValue !== undefined &&
      expected.maxValue !== undefined &&
      Number(expected.minValue) > Number(expected.maxValue)
    ) {
      problems.push(
        error(
          [...SPEC, 'validationConfig', 'expectedOutputs', i, 'minValue'],
          'must not be greater than maxValue',
        ),
      );
    }
  });
  return problems;
}

function validateImage(spec: NotebookValidationJobSpec): Problem[] {
  return /\s/.test(spec.podConfig.containerImage)
    ? [error([...POD, 'containerImage'], 'must not contain whitespace')]
    : [];
}

/** Every rule for a (parsed, defaulted) NotebookValidationJob spec. */
export function validateNotebookValidationJobSpec(spec: NotebookValidationJobSpec): Problem[] {
  return [
    ...validateGitSource(spec.notebook, [...SPEC, 'notebook']),
    ...(spec.goldenNotebook
      ? validateGitSource(spec.goldenNotebook, [...SPEC, 'goldenNotebook'])
      : []),
    ...validateTimeout(spec.timeout),
    ...validateImage(spec),
    ...validateEnv(spec),
    ...validateParameters(spec),
    ...validateComparison(spec),
    ...validateVolumes(spec.podConfig),
  ];
}
