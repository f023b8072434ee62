// Fields of the existing API that nbv accepts but does not act on yet. They are reported as
// admission warnings and as a condition on the object, never dropped in silence. The check
// ignores values equal to the defaults, so defaulting (by nbv or the apiserver) never warns.
import type { NotebookValidationJobSpecInput } from '../api/notebookvalidationjob.ts';
import { warning, type Problem } from './problems.ts';

// With their CRD defaults: the apiserver fills these in, so only other values are the user's.
const VALIDATION_CONFIG_UNIMPLEMENTED = {
  level: 'development',
  checkOutputTypes: false,
  verifyAssertions: false,
  requireExplicitExitCodes: false,
  detectSilentFailures: true,
} as const;

export function unimplementedFields(spec: NotebookValidationJobSpecInput): Problem[] {
  const problems: Problem[] = [];
  if (spec.podConfig?.buildConfig?.enabled === true) {
    problems.push(
      warning(
        ['spec', 'podConfig', 'buildConfig', 'enabled'],
        'image builds are not implemented by nbv; the notebook runs in podConfig.containerImage',
      ),
    );
  }
  if (spec.modelValidation !== undefined && spec.modelValidation.enabled !== false) {
    problems.push(
      warning(
        ['spec', 'modelValidation'],
        'model validation against serving platforms is not implemented by nbv; the field is kept but has no effect',
      ),
    );
  }
  if (spec.validation !== undefined) {
    problems.push(
      warning(
        ['spec', 'validation'],
        'is a legacy field with no effect; use spec.validationConfig',
      ),
    );
  }
  if (spec.retryPolicy !== undefined) {
    problems.push(
      warning(
        ['spec', 'retryPolicy'],
        'is a legacy field with no effect; nbv retries only transient failures, by itself',
      ),
    );
  }
  const validation = spec.validationConfig ?? {};
  for (const [key, byDefault] of Object.entries(VALIDATION_CONFIG_UNIMPLEMENTED)) {
    const value = validation[key as keyof typeof VALIDATION_CONFIG_UNIMPLEMENTED];
    if (value !== undefined && value !== byDefault) {
      problems.push(
        warning(
          ['spec', 'validationConfig', key],
          'is accepted but not implemented by nbv yet; it has no effect',
        ),
      );
    }
  }
  return problems;
}
