// RFC 6902 JSON Patch between two JSON values: what defaulting added or changed. Objects are
// compared key by key; arrays and scalars are replaced whole (defaulting never reorders lists).

export type JsonPatchOperation =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function jsonPatch(before: unknown, after: unknown, path = ''): JsonPatchOperation[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const ops: JsonPatchOperation[] = [];
    for (const key of Object.keys(before)) {
      if (!(key in after)) ops.push({ op: 'remove', path: `${path}/${escape(key)}` });
    }
    for (const [key, value] of Object.entries(after)) {
      const child = `${path}/${escape(key)}`;
      if (!(key in before)) ops.push({ op: 'add', path: child, value });
      else ops.push(...jsonPatch(before[key], value, child));
    }
    return ops;
  }
  return JSON.stringify(before) === JSON.stringify(after)
    ? []
    : [{ op: 'replace', path: path || '', value: after }];
}
