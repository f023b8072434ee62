// Fields of the existing API that nbv accepts but does not act on yet. They are reported as
// admission warnings and as a condition on the object, never dropped in silence. The check
// reads what the user wrote (before defaulting), so defaults never trigger a warning.
import type { NotebookValidationJobSpecInput } from '../api/notebookvalidationjob.ts';
import { warning, type Problem } from './problems.ts';

const VALIDATION_CONFIG_UNIMPLEMENTED = [
  'level',
  'checkOutputTypes',
  'verifyAssertions',
  'requireExplicitExitCodes',
  'detectSilentFailures',
] as const;

export function unimplementedFields(spec: NotebookValidationJobSpecInput): Problem[] {
  const problems: Problem[] = [];
  if (spec.podConfig?.buildConfig?.enabled === true) {
    problems.push(
      warning(['spec', 'podConfig', 'buildConfig', 'enabled'], 'image builds are not implemented by nbv; the notebook runs in podConfig.containerImage'),
    );
  }
  if (spec.modelValidation !== undefined && spec.modelValidation.enabled !== false) {
    problems.push(warning(['spec', 'modelValidation'], 'model validation against serving platforms is not implemented by nbv; the field is kept but has no effect'));
  }
  if (spec.validation !== undefined) {
    problems.push(warning(['spec', 'validation'], 'is a legacy field with no effect; use spec.validationConfig'));
  }
  if (spec.retryPolicy !== undefined) {
    problems.push(warning(['spec', 'retryPolicy'], 'is a legacy field with no effect; nbv retries only transient failures, by itself'));
  }
  const validation = spec.validationConfig ?? {};
  for (const key of VALIDATION_CONFIG_UNIMPLEMENTED) {
    if (validation[key] !== undefined) {
      problems.push(warning(['spec', 'validationConfig', key], 'is accepted but not implemented by nbv yet; it has no effect'));
    }
  }
  return problems;
}
