// Shared by the notebook tests: the samples' repository served over loopback, sample manifests
// pointed at it, and `nbv` run in process with captured output.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.ts';
import type { NotebookValidationJobStatus } from '../../src/api/notebookvalidationjob.ts';
import { SAMPLES_DIR, SAMPLES_URL_BASE, serveSamples } from '../../scripts/samples-repo.ts';
import type { GitServer } from '../../src/local/git-http-server.ts';

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
