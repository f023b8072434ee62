// The git-clone step: a POSIX shell script run by the git image in the pod, and by `nbv run`
// as a local process. Everything the user wrote arrives through environment variables, so no
// URL, ref or credential is ever part of a command line. On failure the script writes
// `Reason: message` to the termination log, which the controller uses to decide on retries.
import { CREDENTIALS_DIR } from './pod-layout.ts';

export const ENV_GIT_URL = 'NBV_GIT_URL';
export const ENV_GIT_REF = 'NBV_GIT_REF';
export const ENV_GIT_DEST = 'NBV_GIT_DEST';
/** Path (repo-relative) that must exist after the checkout: the notebook. */
export const ENV_GIT_EXPECT = 'NBV_GIT_EXPECT';
export const ENV_GIT_CREDENTIALS_DIR = 'NBV_GIT_CREDENTIALS_DIR';
export const ENV_GIT_USERNAME = 'GIT_USERNAME';
export const ENV_GIT_PASSWORD = 'GIT_PASSWORD';
export const ENV_TERMINATION_LOG = 'NBV_TERMINATION_LOG';

/** Reasons the script reports; the controller retries only the transient ones. */
export const GIT_FAILURE_REASONS = {
  GitAuthFailed: { transient: false },
  GitRepositoryNotFound: { transient: false },
  GitRefNotFound: { transient: false },
  NotebookNotFound: { transient: false },
  GitUnreachable: { transient: true },
  GitCloneFailed: { transient: true },
} as const;
export type GitFailureReason = keyof typeof GIT_FAILURE_REASONS;

export const GIT_CLONE_SCRIPT = `set -u
log="\${${ENV_TERMINATION_LOG}:-/dev/termination-log}"
dest="$${ENV_GIT_DEST}"; url="$${ENV_GIT_URL}"; ref="$${ENV_GIT_REF}"
creds="\${${ENV_GIT_CREDENTIALS_DIR}:-${CREDENTIALS_DIR}}"
export GIT_TERMINAL_PROMPT=0 GIT_ASKPASS=/bin/false
err="$(mktemp)"
fail() { printf '%s: %s\\n' "$1" "$2" | tee "$log" >&2; exit 1; }
classify() {
  out="$(tail -c 2000 "$err")"; printf '%s\\n' "$out" >&2
  case "$out" in
    *"Authentication failed"*|*"could not read Username"*|*"Permission denied"*|*"terminal prompts disabled"*|*" 401"*|*" 403"*|*"Host key verification failed"*)
      fail GitAuthFailed "authentication to $url failed: $(printf '%s' "$out" | tail -n 1)";;
    *"not found"*|*"does not appear to be a git repository"*|*" 404"*)
      fail GitRepositoryNotFound "repository $url not found: $(printf '%s' "$out" | tail -n 1)";;
    *"Could not resolve host"*|*"Connection refused"*|*"timed out"*|*"Connection reset"*|*"Failed to connect"*|*"Network is unreachable"*)
      fail GitUnreachable "cannot reach $url: $(printf '%s' "$out" | tail -n 1)";;
    *) fail GitCloneFailed "git failed for $url: $(printf '%s' "$out" | tail -n 1)";;
  esac
}
set -- -c advice.detachedHead=false
if [ -n "\${${ENV_GIT_USERNAME}:-}" ]; then
  # The helper reads the credentials from the environment at run time.
  set -- "$@" -c 'credential.helper=!f() { echo "username=$GIT_USERNAME"; echo "password=$GIT_PASSWORD"; }; f'
fi
if [ -f "$creds/ssh-privatekey" ]; then
  mkdir -p "$HOME/.ssh" && cp "$creds/ssh-privatekey" "$HOME/.ssh/id_nbv" && chmod 600 "$HOME/.ssh/id_nbv"
  hosts="-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=$HOME/.ssh/known_hosts"
  [ -f "$creds/known_hosts" ] && hosts="-o StrictHostKeyChecking=yes -o UserKnownHostsFile=$creds/known_hosts"
  export GIT_SSH_COMMAND="ssh -i $HOME/.ssh/id_nbv -o IdentitiesOnly=yes $hosts"
fi
git "$@" init -q "$dest" 2>"$err" || classify
cd "$dest" || fail GitCloneFailed "cannot enter $dest"
git "$@" remote add origin "$url" 2>"$err" || classify
if git "$@" fetch -q --depth 1 origin "$ref" 2>"$err"; then
  git "$@" checkout -q --detach FETCH_HEAD 2>"$err" || classify
else
  case "$(cat "$err")" in
    *"couldn't find remote ref"*|*"not our ref"*|*"upload-pack: not our ref"*|*"Server does not allow request for unadvertised object"*|*"no such remote ref"*) ;;
    *) classify;;
  esac
  # A commit SHA that the server will not serve directly: fetch everything, then resolve.
  git "$@" fetch -q origin '+refs/heads/*:refs/remotes/origin/*' '+refs/tags/*:refs/tags/*' 2>"$err" || classify
  sha="$(git rev-parse -q --verify "origin/$ref^{commit}" || git rev-parse -q --verify "refs/tags/$ref^{commit}" || git rev-parse -q --verify "$ref^{commit}")" ||
    fail GitRefNotFound "ref $ref is not a branch, tag or commit of $url"
  git "$@" checkout -q --detach "$sha" 2>"$err" || classify
fi
expect="\${${ENV_GIT_EXPECT}:-}"
if [ -n "$expect" ] && [ ! -f "$expect" ]; then
  fail NotebookNotFound "$expect does not exist in $url at $ref"
fi
echo "checked out $url at $ref ($(git rev-parse HEAD))"
`;
