// The `pvc://` storage URI grammar of OME:
//   pvc://{claim}/{subPath}              (BaseModel: the claim is in the model's namespace)
//   pvc://{namespace}:{claim}/{subPath}  (ClusterBaseModel: the claim's namespace is explicit)
import { DNS_LABEL, isDnsSubdomain } from '../api/common.ts';

const PVC_SCHEME = 'pvc://';
const ERROR_PREFIX = 'invalid PVC storage URI format:';

export interface PvcStorageUri {
  /** Present only in the `namespace:claim` form. */
  namespace?: string;
  claimName: string;
  /** Relative path inside the claim, never empty, never with `..`. */
  subPath: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

const fail = (reason: string): ParseResult<PvcStorageUri> => ({
  ok: false,
  error: `${ERROR_PREFIX} ${reason}`,
});

export function isPvcUri(uri: string): boolean {
  return uri.startsWith(PVC_SCHEME);
}

export function parsePvcStorageUri(uri: string): ParseResult<PvcStorageUri> {
  if (!isPvcUri(uri)) return fail(`"${uri}" does not start with ${PVC_SCHEME}`);
  const rest = uri.slice(PVC_SCHEME.length);
  const slash = rest.indexOf('/');
  if (rest === '') return fail('missing claim name and sub-path');
  if (slash === -1) return fail(`"${uri}" has no sub-path; expected pvc://{claim}/{subPath}`);
  const authority = rest.slice(0, slash);
  const subPath = rest.slice(slash + 1);
  if (authority === '') return fail(`"${uri}" has no claim name`);

  const parts = authority.split(':');
  if (parts.length > 2)
    return fail(`"${authority}" has more than one ":"; expected {namespace}:{claim}`);
  let namespace: string | undefined;
  let claimName: string;
  if (parts.length === 2) {
    [namespace, claimName] = parts as [string, string];
    if (namespace === '') return fail(`"${uri}" has an empty namespace before ":"`);
    if (namespace.length > 63) return fail(`namespace "${namespace}" is longer than 63 characters`);
    if (!DNS_LABEL.test(namespace)) {
      return fail(
        `namespace "${namespace}" must be a DNS label (lowercase letters, digits and "-", starting and ending with a letter or digit)`,
      );
    }
  } else {
    claimName = authority;
  }
  if (claimName === '') return fail(`"${uri}" has an empty claim name after ":"`);
  if (!isDnsSubdomain(claimName)) {
    return fail(
      `claim name "${claimName}" must be a DNS subdomain (lowercase letters, digits, "-" and ".")`,
    );
  }

  const subPathProblem = checkSubPath(subPath);
  if (subPathProblem) return fail(`sub-path "${subPath}" ${subPathProblem}`);
  return {
    ok: true,
    value: { ...(namespace ? { namespace } : {}), claimName, subPath: normaliseSubPath(subPath) },
  };
}

/** Why a sub-path inside a volume is unacceptable, or undefined when it is fine. */
export function checkSubPath(subPath: string): string | undefined {
  if (subPath === '' || /^\/*$/.test(subPath)) return 'is empty; a sub-path is required';
  if (subPath.startsWith('/')) return 'must be relative';
  if (subPath.split('/').includes('..')) return 'must not contain ".."';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(subPath)) return 'must not contain control characters';
  return undefined;
}

function normaliseSubPath(subPath: string): string {
  return subPath
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

export function formatPvcStorageUri(uri: PvcStorageUri): string {
  return `${PVC_SCHEME}${uri.namespace ? `${uri.namespace}:` : ''}${uri.claimName}/${uri.subPath}`;
}
