// Labels nbv puts on the objects it creates, so they can be listed and watched by owner.

export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_JOB = 'mlops.dev/notebookvalidationjob';
export const LABEL_ATTEMPT = 'mlops.dev/attempt';
export const LABEL_MODEL = 'ome.io/basemodel';
export const LABEL_MODEL_KIND = 'ome.io/basemodel-kind';
export const LABEL_INFERENCE_SERVICE = 'ome.io/inferenceservice';

export const MANAGED_BY = 'nbv';

export function commonLabels(component: string): Record<string, string> {
  return { [LABEL_NAME]: 'nbv', [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_COMPONENT]: component };
}

/** A label value: at most 63 characters of [A-Za-z0-9_.-], starting and ending alphanumeric. */
export function labelValue(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 63);
  return cleaned.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}
