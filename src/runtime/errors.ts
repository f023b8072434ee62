// Errors from the Kubernetes API, with the predicates reconcilers branch on. Works for errors of
// this runtime's client and for client-node's ApiException alike (recognised by shape, so that
// this module does not load client-node).

/** A metav1.Status the apiserver sent with a non-2xx answer. */
export interface ApiStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; causes?: { field?: string; message?: string }[] };
}

export class KubeApiError extends Error {
  /** HTTP status code. */
  readonly code: number;
  /** The Status reason: NotFound, AlreadyExists, Conflict, Expired, Invalid, Forbidden... */
  readonly reason: string;
  readonly status: ApiStatus | undefined;

  constructor(request: string, code: number, status: ApiStatus | undefined, body?: string) {
    const detail = status?.message ?? (body?.trim() || 'no message');
    super(`${request}: ${code} ${status?.reason ?? ''}: ${detail}`.replace(' : ', ': '));
    this.name = 'KubeApiError';
    this.code = code;
    this.reason = status?.reason ?? '';
    this.status = status;
  }
}

/** client-node's ApiException: an Error with a numeric `code` and the answer's `body`. */
function isApiException(err: unknown): err is Error & { code: number; body: unknown } {
  return (
    err instanceof Error && typeof (err as { code?: unknown }).code === 'number' && 'body' in err
  );
}

/** The HTTP status code of an API error, or undefined for anything else (network errors...). */
export function apiStatusCode(err: unknown): number | undefined {
  if (err instanceof KubeApiError || isApiException(err)) return err.code;
  return undefined;
}

export const isNotFound = (err: unknown): boolean => apiStatusCode(err) === 404;
/** A write lost a race: the resourceVersion it carried is stale, or an apply conflicts. */
export const isConflict = (err: unknown): boolean =>
  apiStatusCode(err) === 409 && !isAlreadyExists(err);
export const isAlreadyExists = (err: unknown): boolean =>
  err instanceof KubeApiError
    ? err.reason === 'AlreadyExists'
    : isApiException(err) && err.code === 409 && /AlreadyExists/.test(String(err.body));
/** 410: a watch or list asked for a resourceVersion the apiserver no longer has. */
export const isGone = (err: unknown): boolean => apiStatusCode(err) === 410;
