// Ensures a helm binary for the chart tests: NBV_HELM when a person brings their own, else one
// built once with `go build` from the wrapper module test/helm/ (whose go.mod pins the version)
// into the same cache as the control plane, ${XDG_CACHE_HOME:-~/.cache}/nbv/. Same scheme as
// src/dev/controlplane/build.ts: a key from the version and the go.mod/go.sum hash, a staging
// folder renamed into place, so that an interrupted or concurrent build leaves no half binary.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { ControlPlaneError } from './controlplane/errors.ts';
import { isAlive } from './controlplane/process.ts';
import { isExecutable } from '../util/fs.ts';

const MODULE_DIR = resolve(import.meta.dirname, '../../test/helm');
const HELM_MODULE = 'helm.sh/helm/v4';
const HELM_PACKAGE = `${HELM_MODULE}/cmd/helm`;

/** The helm version test/helm/go.mod requires. */
export function pinnedHelmVersion(): string {
  const goMod = readFileSync(join(MODULE_DIR, 'go.mod'), 'utf8');
  const match = /^\s*(?:require\s+)?helm\.sh\/helm\/v4\s+(v\S+)/m.exec(goMod);
  if (!match?.[1]) throw new Error(`test/helm/go.mod does not require ${HELM_MODULE}`);
  return match[1];
}

export function helmCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum']) hash.update(readFileSync(join(MODULE_DIR, file)));
  const key = `helm-${pinnedHelmVersion()}_${process.platform}-${process.arch}_${hash.digest('hex').slice(0, 12)}`;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'nbv', 'helm', key);
}

export interface EnsureHelmOptions {
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** The path of a helm binary, building it first when the cache has none. */
export async function ensureHelm(options: EnsureHelmOptions = {}): Promise<string> {
  const { env = process.env, log = () => {} } = options;
  if (env.NBV_HELM) {
    if (!isExecutable(env.NBV_HELM))
      throw new ControlPlaneError('use NBV_HELM', `${env.NBV_HELM} is not an executable file`);
    return env.NBV_HELM;
  }
  const target = helmCacheDir(env);
  const binary = join(target, 'helm');
  if (isExecutable(binary)) return binary;

  removeAbandonedBuilds(target);
  const staging = `${target}.partial-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  try {
    const version = pinnedHelmVersion();
    const started = Date.now();
    log(`building helm ${version} into ${target} (once; takes a few minutes)`);
    // -mod=readonly: the committed go.sum must be complete; a build never rewrites the repo.
    const ldflags = `-s -w -X ${HELM_MODULE}/internal/version.version=${version}`;
    await go(
      ['build', '-mod=readonly', '-trimpath', `-ldflags=${ldflags}`, '-o', join(staging, 'helm')],
      [HELM_PACKAGE],
      env,
    );
    log(`built helm in ${Math.round((Date.now() - started) / 1000)}s`);
    try {
      renameSync(staging, target);
    } catch (err) {
      // Another build finished first; only complete folders are renamed into place.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}

function removeAbandonedBuilds(target: string): void {
  const root = dirname(target);
  const prefix = `${basename(target)}.partial-`;
  if (!existsSync(root)) return;
  for (const entry of readdirSync(root)) {
    if (entry.startsWith(prefix) && !isAlive(Number(entry.slice(prefix.length))))
      rmSync(join(root, entry), { recursive: true, force: true });
  }
}

function go(args: string[], packages: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const step = 'build helm';
  return new Promise((resolvePromise, reject) => {
    const child = spawn('go', [...args, ...packages], {
      cwd: MODULE_DIR,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (err: NodeJS.ErrnoException) => {
      const detail =
        err.code === 'ENOENT'
          ? 'the Go toolchain (`go`) was not found on PATH. Install Go 1.26 or newer, or set ' +
            'NBV_HELM to a helm binary'
          : `cannot run go: ${err.message}`;
      reject(new ControlPlaneError(step, detail));
    });
    child.on('close', (code, signal) => {
      if (code === 0) return resolvePromise();
      const tail = stderr.trim().split('\n').slice(-30).join('\n');
      const how = signal ? `killed by ${signal}` : `exit ${code}`;
      reject(new ControlPlaneError(step, `go build in ${MODULE_DIR} failed (${how}):\n${tail}`));
    });
  });
}
