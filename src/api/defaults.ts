// Defaulting beyond the schema's own field defaults (which Zod applies while parsing).
import type { EnvFromSource, NotebookValidationJobSpec } from './notebookvalidationjob.ts';

/**
 * `podConfig.credentials` is shorthand for envFrom secretRefs: each name is appended to envFrom
 * once. The shorthand itself is kept, so what the user wrote stays visible.
 */
export function mergeCredentialsIntoEnvFrom(
  spec: NotebookValidationJobSpec,
): NotebookValidationJobSpec {
  const credentials = spec.podConfig.credentials ?? [];
  if (credentials.length === 0) return spec;
  const envFrom: EnvFromSource[] = [...(spec.podConfig.envFrom ?? [])];
  const present = new Set(envFrom.flatMap((e) => (e.secretRef ? [e.secretRef.name] : [])));
  for (const name of credentials) {
    if (present.has(name)) continue;
    present.add(name);
    envFrom.push({ secretRef: { name } });
  }
  return { ...spec, podConfig: { ...spec.podConfig, envFrom } };
}
