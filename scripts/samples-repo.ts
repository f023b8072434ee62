// The samples' git repository: config/samples/notebooks committed into a bare repository and
// served over loopback HTTP, which is where config/samples/*.yaml point. Used by the quick start
// (scripts/sample.ts), the notebook tests and the benchmarks.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGitServer, type GitServer } from '../src/local/git-http-server.ts';

export const SAMPLES_DIR = fileURLToPath(new URL('../config/samples', import.meta.url));
export const SAMPLE_NOTEBOOKS = join(SAMPLES_DIR, 'notebooks');
/** The address the sample manifests name. */
export const SAMPLES_URL_BASE = 'http://127.0.0.1:8419';
const SAMPLES_REPO = 'nbv-samples.git';

// Fixed identity and dates: the same notebooks always give the same commit.
const GIT_ENV = {
  GIT_AUTHOR_NAME: 'nbv samples',
  GIT_AUTHOR_EMAIL: 'samples@nbv.invalid',
  GIT_COMMITTER_NAME: 'nbv samples',
  GIT_COMMITTER_EMAIL: 'samples@nbv.invalid',
  GIT_AUTHOR_DATE: '2025-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2025-01-01T00:00:00Z',
};

function git(args: string[], cwd: string): string {
  return execFileSync('git', args, {
    cwd,
    env: { ...process.env, ...GIT_ENV },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** Builds `<root>/nbv-samples.git` (branch main, tag v1) from the given folder; returns the commit. */
export function buildSamplesRepo(
  root: string,
  source = SAMPLE_NOTEBOOKS,
  name = SAMPLES_REPO,
): string {
  const work = mkdtempSync(join(tmpdir(), 'nbv-samples-work-'));
  try {
    cpSync(source, work, { recursive: true });
    git(['init', '-q', '-b', 'main', '.'], work);
    git(['add', '-A'], work);
    git(['commit', '-q', '-m', 'nbv samples'], work);
    git(['tag', 'v1'], work);
    const bare = join(root, name);
    rmSync(bare, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    git(['clone', '-q', '--bare', work, bare], root);
    return git(['rev-parse', 'HEAD'], work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Builds the samples repository under `root` and serves it; port 0 picks a free one. */
export async function serveSamples(
  root: string,
  port = 0,
): Promise<GitServer & { commit: string }> {
  const commit = buildSamplesRepo(root);
  const server = await startGitServer({ root, port });
  return { ...server, commit };
}
