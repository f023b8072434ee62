// Binaries that the tests build once with `go build` from wrapper modules under test/ (their
// go.mod files are the one place where versions are pinned) and cache in
// ${XDG_CACHE_HOME:-~/.cache}/nbv/<kind>/<key>. The key names the versions, the platform and a
// hash of every go.mod and go.sum, so that a change of pins builds afresh. A build goes to a
// staging folder renamed into place at the end, so that a concurrent or interrupted build never
// leaves a half-filled cache folder behind.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ControlPlaneError } from './controlplane/errors.ts';
import { isAlive } from './controlplane/process.ts';
import { isExecutable } from '../util/fs.ts';

export interface GoModule {
  /** Folder of the wrapper module. */
  dir: string;
  /** The module whose required version names the build. */
  module: string;
  /** Package to build, by the binary it becomes. */
  packages: Readonly<Record<string, string>>;
}

export interface GoBuild {
  /** Cache folder under nbv/ (`controlplane`, `helm`). */
  kind: string;
  modules: readonly GoModule[];
  /** Step named in errors (`build helm`). */
  step: string;
  /** What to do instead of building, for the error without Go (`set NBV_HELM to ...`). */
  instead: string;
  /** The start of the cache key, from the pinned versions (in the order of `modules`). */
  label(versions: readonly string[]): string;
  /** Extra -ldflags for a module (version stamps), given its pinned version. */
  ldflags?(module: GoModule, version: string, env: NodeJS.ProcessEnv): Promise<string[]>;
}

/** The version a wrapper module's go.mod requires of its main dependency. */
function requiredVersion(module: GoModule, goMod: string): string {
  const escaped = module.module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const match = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(goMod);
  if (!match?.[1]) throw new Error(`${module.dir}/go.mod does not require ${module.module}`);
  return match[1];
}

export function pinnedVersion(module: GoModule): string {
  return requiredVersion(module, readFileSync(join(module.dir, 'go.mod'), 'utf8'));
}

/** The pinned versions and the cache folder, from one read of each go.mod and go.sum. */
function buildTarget(build: GoBuild, env: NodeJS.ProcessEnv): { versions: string[]; dir: string } {
  const hash = createHash('sha256');
  const versions = build.modules.map((module) => {
    const goMod = readFileSync(join(module.dir, 'go.mod'));
    hash.update(goMod).update(readFileSync(join(module.dir, 'go.sum')));
    return requiredVersion(module, goMod.toString('utf8'));
  });
  const platform = `${process.platform}-${process.arch}`;
  const key = `${build.label(versions)}_${platform}_${hash.digest('hex').slice(0, 12)}`;
  const cache = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return { versions, dir: join(cache, 'nbv', build.kind, key) };
}

/**
 * The cache folder holding every binary of `build`, built first when one is missing. `log` gets
 * progress lines ("go build kube-apiserver, ...").
 */
export async function ensureBuilt(
  build: GoBuild,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<string> {
  for (const module of build.modules) {
    if (!existsSync(module.dir)) {
      throw new ControlPlaneError(
        build.step,
        `${module.dir} is missing: building needs a checkout of the nbv repository; or ${build.instead}`,
      );
    }
  }
  const { versions, dir: target } = buildTarget(build, env);
  const binaries = build.modules.flatMap((module) => Object.keys(module.packages));
  if (binaries.every((name) => isExecutable(join(target, name)))) return target;

  // Fails early, with advice, when there is no Go toolchain.
  await goCommand(build, build.modules[0]?.dir ?? '.', ['version'], env);
  removeAbandonedBuilds(target);
  const staging = `${target}.partial-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  try {
    log(`building into ${target} (once; the first build takes several minutes)`);
    for (const [i, module] of build.modules.entries()) {
      await buildModule(build, module, versions[i] as string, staging, env, log);
    }
    try {
      renameSync(staging, target);
    } catch (err) {
      // Another build finished first; its folder is complete, as only complete ones are renamed.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return target;
}

/** Staging folders of builds whose process is gone (killed before its `finally` ran). */
function removeAbandonedBuilds(target: string): void {
  const root = dirname(target);
  const prefix = `${basename(target)}.partial-`;
  if (!existsSync(root)) return;
  for (const entry of readdirSync(root)) {
    if (entry.startsWith(prefix) && !isAlive(Number(entry.slice(prefix.length)))) {
      rmSync(join(root, entry), { recursive: true, force: true });
    }
  }
}

async function buildModule(
  build: GoBuild,
  module: GoModule,
  version: string,
  outDir: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<void> {
  const ldflags = ['-s', '-w', ...((await build.ldflags?.(module, version, env)) ?? [])];
  const entries = Object.entries(module.packages);
  const started = Date.now();
  const names = entries.map(([binary]) => binary).join(', ');
  log(`  go build ${names} ${version}`);
  // One `go build` per module so that the shared packages compile once and links run in
  // parallel; with several packages `-o DIR/` names each binary after its package's last element.
  const [only] = entries;
  const output = entries.length === 1 && only ? join(outDir, only[0]) : `${outDir}/`;
  // -mod=readonly: the committed go.sum must be complete; a build never rewrites the repo.
  const args = ['build', '-mod=readonly', '-trimpath', `-ldflags=${ldflags.join(' ')}`];
  const packages = entries.map(([, pkg]) => pkg);
  await goCommand(build, module.dir, [...args, '-o', output, ...packages], env);
  log(`  built ${names} in ${Math.round((Date.now() - started) / 1000)}s`);
}

/** Runs `go ARGS` in `cwd`; on failure names the step and shows the end of go's output. */
export function goCommand(
  build: Pick<GoBuild, 'step' | 'instead'>,
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('go', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (err: NodeJS.ErrnoException) => {
      const detail =
        err.code === 'ENOENT'
          ? `the Go toolchain (\`go\`) was not found on PATH. Install Go 1.26 or newer, or ${build.instead}`
          : `cannot run go: ${err.message}`;
      reject(new ControlPlaneError(build.step, detail));
    });
    // After an 'error' the promise is already settled; this reject is then a no-op.
    child.on('close', (code, signal) => {
      if (code === 0) return resolvePromise(stdout);
      const tail = stderr.trim().split('\n').slice(-30).join('\n');
      const how = signal ? `killed by ${signal}` : `exit ${code}`;
      reject(
        new ControlPlaneError(build.step, `go ${args[0]} in ${cwd} failed (${how}):\n${tail}`),
      );
    });
  });
}
