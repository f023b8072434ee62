// Admission rules for git sources: URL, ref and notebook path.
import { DNS_SUBDOMAIN } from '../api/common.ts';
import type { GitSource } from '../api/notebookvalidationjob.ts';
import { error, type PathSegment, type Problem } from './problems.ts';

const SCP_LIKE = /^git@[A-Za-z0-9.-]+:[^\s]+$/;
const URL_SCHEMES = new Set(['https:', 'http:', 'ssh:', 'git:']);

/** Why a git URL is unacceptable, or undefined. */
export function checkGitUrl(url: string): string | undefined {
  if (/\s/.test(url)) return 'must not contain whitespace';
  if (url.startsWith('git@'))
    return SCP_LIKE.test(url) ? undefined : 'must have the form git@host:path';
  // WHATWG URL parsing would read https:///r.git as host "r.git"; require the host explicitly.
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]/i.test(url))
    return 'must be scheme://host/path (no host found)';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (!URL_SCHEMES.has(parsed.protocol))
    return 'must use https, http, ssh or git (or the git@host:path form)';
  if (parsed.hostname === '') return 'has no host';
  if (parsed.password !== '' || (parsed.username !== '' && parsed.protocol !== 'ssh:')) {
    return 'must not contain credentials; put them in a Secret named by credentialsSecret';
  }
  return undefined;
}

/** Why a ref (branch, tag or commit SHA) is unacceptable, or undefined. Follows git check-ref-format. */
export function checkGitRef(ref: string): string | undefined {
  if (ref === '') return 'must not be empty';
  if (ref.startsWith('-')) return 'must not start with "-"';
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(ref))
    return 'must not contain whitespace or control characters';
  if (/[~^:?*[\\]/.test(ref)) return 'must not contain any of ~ ^ : ? * [ \\';
  if (ref.includes('..') || ref.includes('@{') || ref.includes('//'))
    return 'must not contain "..", "@{" or "//"';
  if (ref.endsWith('/') || ref.endsWith('.') || ref.endsWith('.lock') || ref.startsWith('/')) {
    return 'must not start with "/" or end with "/", "." or ".lock"';
  }
  if (ref.split('/').some((c) => c.startsWith('.'))) return 'no path component may start with "."';
  if (ref === '@') return 'must not be "@"';
  return undefined;
}

/** Why a notebook path inside a repository is unacceptable, or undefined. */
export function checkNotebookPath(path: string): string | undefined {
  if (path.startsWith('/')) return 'must be relative to the repository root';
  if (path.split('/').includes('..')) return 'must not contain ".."';
  if (!path.endsWith('.ipynb')) return 'must end in .ipynb';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'must not contain control characters';
  return undefined;
}

export function validateGitSource(
  source: { git: GitSource; path: string },
  base: PathSegment[],
): Problem[] {
  const checks: [PathSegment[], string | undefined][] = [
    [[...base, 'git', 'url'], checkGitUrl(source.git.url)],
    [[...base, 'git', 'ref'], checkGitRef(source.git.ref)],
    [[...base, 'path'], checkNotebookPath(source.path)],
  ];
  const secret = source.git.credentialsSecret;
  if (secret !== undefined && !DNS_SUBDOMAIN.test(secret)) {
    checks.push([
      [...base, 'git', 'credentialsSecret'],
      'must be a valid Secret name (lowercase letters, digits, "-" and ".")',
    ]);
  }
  return checks.flatMap(([path, reason]) => (reason ? [error(path, reason)] : []));
}
