// Shared by the notebook tests: the samples' repository served over loopback, sample manifests
// pointed at it, fixture notebooks and jobs, and `nbv` run in process with captured output.
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before } from 'node:test';
import { main } from '../../src/cli/main.ts';
import type { NotebookValidationJobStatus } from '../../src/api/notebookvalidationjob.ts';
import {
  SAMPLES_DIR,
  SAMPLES_URL_BASE,
  buildSamplesRepo,
  serveSamples,
} from '../../scripts/samples-repo.ts';
import {
  startGitServer,
  type GitServer,
  type GitServerOptions,
} from '../../src/local/git-http-server.ts';

export const OUTPUT_DIR = join(import.meta.dirname, '..', '..', 'test-output', 'notebook');

export async function samplesServer(): Promise<GitServer> {
  return serveSamples(await mkdtemp(join(tmpdir(), 'nbv-samples-git-')));
}

/** A copy of config/samples/NAME.yaml whose git URLs point at `server`. */
export async function sampleManifest(
  name: string,
  server: GitServer,
  dir: string,
): Promise<string> {
  const text = await readFile(join(SAMPLES_DIR, `${name}.yaml`), 'utf8');
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, text.split(SAMPLES_URL_BASE).join(server.url));
  return file;
}

/** The samples served for the tests of one file: `manifest(NAME)` is sampleManifest's copy. */
export function useSamples(): { manifest(name: string): Promise<string> } {
  let server: GitServer;
  let dir: string;
  before(async () => {
    server = await samplesServer();
    dir = await mkdtemp(join(tmpdir(), 'nbv-samples-'));
  });
  after(() => server?.close());
  return { manifest: (name) => sampleManifest(name, server, dir) };
}

const KERNELSPEC = { name: 'python3', display_name: 'Python 3', language: 'python' };

/** An unexecuted nbformat 4 notebook of code cells: a source, or a source with cell tags. */
export function notebookJson(
  cells: readonly (string | { source: string; tags: string[] })[],
  kernelspec: object = KERNELSPEC,
): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec },
    cells: cells.map((cell, i) => {
      const { source, tags } = typeof cell === 'string' ? { source: cell, tags: [] } : cell;
      return {
        cell_type: 'code',
        id: `c${i}`,
        source,
        metadata: tags.length > 0 ? { tags } : {},
        outputs: [],
        execution_count: null,
      };
    }),
  });
}

/**
 * Serves `files` (name -> content) as the repository `repo` on a loopback git server; a fresh
 * server (and root) on each call, so that one set of files can be served with and without auth.
 */
export async function serveFiles(
  files: Readonly<Record<string, string>>,
  repo: string,
  auth?: GitServerOptions['auth'],
): Promise<GitServer> {
  const dir = await mkdtemp(join(tmpdir(), 'nbv-files-'));
  const src = join(dir, 'src');
  await mkdir(src);
  for (const [name, text] of Object.entries(files)) await writeFile(join(src, name), text);
  buildSamplesRepo(join(dir, 'git'), src, repo);
  return startGitServer({ root: join(dir, 'git'), ...(auth ? { auth } : {}) });
}

/** Writes DIR/NAME.yaml: a NotebookValidationJob for `path` in the repository at `url`. */
export async function jobManifest(
  dir: string,
  name: string,
  spec: { url: string; ref?: string; path: string; secret?: string; extra?: string },
): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    `apiVersion: mlops.mlops.dev/v1alpha1
kind: NotebookValidationJob
metadata:
  name: ${name}
spec:
  notebook:
    git:
      url: ${spec.url}
      ref: ${spec.ref ?? 'main'}
${spec.secret ? `      credentialsSecret: ${spec.secret}\n` : ''}    path: ${spec.path}
  podConfig:
    containerImage: python:3.11
  timeout: 3m
${spec.extra ?? ''}`,
  );
  return file;
}

export interface NbvResult {
  code: number;
  stdout: string;
  stderr: string;
  status?: NotebookValidationJobStatus;
}

export async function nbv(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<NbvResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(args, {
    stdout,
    stderr,
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, ...options.env },
    isTTY: false,
  });
  let status: NotebookValidationJobStatus | undefined;
  try {
    status = args.includes('json') ? (JSON.parse(out) as NotebookValidationJobStatus) : undefined;
  } catch {
    status = undefined;
  }
  return { code, stdout: out, stderr: err, ...(status ? { status } : {}) };
}

/** `nbv run FILE --output json --report-dir test-output/notebook/NAME` from a fresh working directory. */
export async function runSample(
  file: string,
  name: string,
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<NbvResult & { cwd: string; reportDir: string }> {
  const cwd = await mkdtemp(join(tmpdir(), `nbv-run-${name}-`));
  const reportDir = join(OUTPUT_DIR, name);
  const result = await nbv(['run', file, '--output', 'json', '--report-dir', reportDir, ...extra], {
    cwd,
    env,
  });
  return { ...result, cwd, reportDir };
}
