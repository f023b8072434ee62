// AdmissionReview v1 in, AdmissionReview v1 out: the validating and the mutating (defaulting)
// webhooks, both calling admit() — the same rules as `nbv validate` and `nbv run`.
import { admit } from '../validation/admission.ts';
import { formatProblem, type Problem } from '../validation/problems.ts';
import { jsonPatch } from './json-patch.ts';

export interface AdmissionRequest {
  uid: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  subResource?: string;
  object?: unknown;
  oldObject?: unknown;
}

export interface AdmissionReview {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason?: string; message: string };
  warnings?: string[];
  patchType?: 'JSONPatch';
  patch?: string;
}

const MAX_WARNINGS = 20;

// Warnings travel in their own list, so they need no marker of their own.
const line = (p: Problem): string => formatProblem(p, false);

/** The answer to `review`: its uid with `response`. */
export function respond(
  review: AdmissionReview,
  response: Omit<AdmissionResponse, 'uid'>,
): AdmissionReview {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid: review.request?.uid ?? '', ...response },
  };
}

function deny(review: AdmissionReview, message: string): AdmissionReview {
  return respond(review, { allowed: false, status: { code: 422, reason: 'Invalid', message } });
}

function specOf(value: unknown): string {
  return JSON.stringify((value as { spec?: unknown } | undefined)?.spec ?? null);
}

/** The validating webhook. */
export function validateReview(review: AdmissionReview): AdmissionReview {
  const request = review.request;
  if (!request) return deny(review, 'AdmissionReview has no request');
  if (request.operation === 'DELETE' || request.operation === 'CONNECT' || request.subResource) {
    return respond(review, { allowed: true });
  }
  const outcome = admit(request.object);
  const errors = outcome.problems.filter((p) => p.severity === 'error');
  const warnings = outcome.problems
    .filter((p) => p.severity === 'warning')
    .slice(0, MAX_WARNINGS)
    .map(line);
  if (errors.length > 0) {
    const name = `${outcome.ref.kind}/${outcome.ref.name}`;
    return deny(review, `${name} is invalid: ${errors.map(line).join('; ')}`);
  }
  if (request.operation === 'UPDATE' && outcome.ref.kind === 'NotebookValidationJob') {
    const before = admit(request.oldObject).object;
    if (before !== undefined && specOf(before) !== specOf(outcome.object)) {
      return deny(
        review,
        'spec: a NotebookValidationJob is one run and its spec cannot change once created; delete it and create it again (or create a new one)',
      );
    }
  }
  return respond(review, { allowed: true, ...(warnings.length > 0 ? { warnings } : {}) });
}

/** The mutating webhook: the defaults as a JSON patch; invalid objects pass unchanged to validation. */
export function mutateReview(review: AdmissionReview): AdmissionReview {
  const request = review.request;
  if (
    !request ||
    request.operation === 'DELETE' ||
    request.operation === 'CONNECT' ||
    request.subResource
  ) {
    return respond(review, { allowed: true });
  }
  const outcome = admit(request.object);
  if (outcome.object === undefined) return respond(review, { allowed: true });
  // Defaulting touches only spec: metadata and status belong to the apiserver and controllers.
  const ops = jsonPatch(
    (request.object as { spec?: unknown }).spec,
    (outcome.object as { spec?: unknown }).spec,
    '/spec',
  );
  if (ops.length === 0) return respond(review, { allowed: true });
  return respond(review, {
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(ops)).toString('base64'),
  });
}
