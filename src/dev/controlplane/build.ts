// Ensures the control-plane binaries exist: the folder in NBV_CONTROLPLANE_BIN when a person
// brings their own, else a cache folder keyed by the pinned versions, built once with `go build`
// from the wrapper modules in test/controlplane/. The go.mod files there are the one place where
// versions are pinned; everything here reads them.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { ControlPlaneError } from './errors.ts';
import { isAlive } from './process.ts';
import { isExecutable } from '../../util/fs.ts';

export const BINARY_NAMES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'kwok',
] as const;
export type BinaryName = (typeof BINARY_NAMES)[number];

export interface Binaries {
  dir: string;
  path: Record<BinaryName, string>;
}

const MODULES_DIR = resolve(import.meta.dirname, '../../../test/controlplane');

interface GoModule {
  /** Folder under test/controlplane/. */
  dir: string;
  /** The module whose pinned version names this build. */
  module: string;
  /** Package to build, by the binary it becomes. */
  packages: Partial<Record<BinaryName, string>>;
}

const GO_MODULES: GoModule[] = [
  {
    dir: 'etcd',
    module: 'go.etcd.io/etcd/server/v3',
    packages: { etcd: 'go.etcd.io/etcd/server/v3' },
  },
  { dir: 'kwok', module: 'sigs.k8s.io/kwok', packages: { kwok: 'sigs.k8s.io/kwok/cmd/kwok' } },
  {
    dir: 'kubernetes',
    module: 'k8s.io/kubernetes',
    packages: {
      'kube-apiserver': 'k8s.io/kubernetes/cmd/kube-apiserver',
      'kube-controller-manager': 'k8s.io/kubernetes/cmd/kube-controller-manager',
      'kube-scheduler': 'k8s.io/kubernetes/cmd/kube-scheduler',
      kubectl: 'k8s.io/kubernetes/cmd/kubectl',
    },
  },
];

export interface PinnedVersions {
  kubernetes: string;
  etcd: string;
  kwok: string;
}

function goMod(module: GoModule): string {
  return readFileSync(join(MODULES_DIR, module.dir, 'go.mod'), 'utf8');
}

/** The version a wrapper module's go.mod requires of its main dependency. */
function requiredVersion(module: GoModule): string {
  const escaped = module.module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const match = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(goMod(module));
  if (!match?.[1]) throw new Error(`${module.dir}/go.mod does not require ${module.module}`);
  return match[1];
}

export function pinnedVersions(): PinnedVersions {
  const [etcd, kwok, kubernetes] = GO_MODULES.map(requiredVersion);
  if (!etcd || !kwok || !kubernetes) throw new Error('wrapper modules are missing');
  return { kubernetes, etcd, kwok };
}

/** Cache key: the versions, the platform and a hash of every go.mod and go.sum. */
export function cacheKey(): string {
  const v = pinnedVersions();
  const hash = createHash('sha256');
  for (const module of GO_MODULES) {
    for (const file of ['go.mod', 'go.sum']) {
      hash.update(readFileSync(join(MODULES_DIR, module.dir, file)));
    }
  }
  const platform = `${process.platform}-${process.arch}`;
  return `k8s-${v.kubernetes}_etcd-${v.etcd}_kwok-${v.kwok}_${platform}_${hash.digest('hex').slice(0, 12)}`;
}

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'nbv', 'controlplane');
}

function binariesIn(dir: string): Binaries {
  const path = Object.fromEntries(BINARY_NAMES.map((name) => [name, join(dir, name)]));
  return { dir, path: path as Record<BinaryName, string> };
}

function missingIn(dir: string): BinaryName[] {
  return BINARY_NAMES.filter((name) => !isExecutable(join(dir, name)));
}

export interface EnsureOptions {
  env?: NodeJS.ProcessEnv;
  /** Progress lines ("building kube-apiserver ..."). */
  log?: (line: string) => void;
}

export async function ensureBinaries(options: EnsureOptions = {}): Promise<Binaries> {
  const { env = process.env, log = () => {} } = options;
  const own = env.NBV_CONTROLPLANE_BIN;
  if (own) {
    const missing = missingIn(own);
    if (missing.length > 0) {
      throw new ControlPlaneError(
        'use NBV_CONTROLPLANE_BIN',
        `${own} lacks the executable ${missing.join(', ')}`,
      );
    }
    return binariesIn(own);
  }

  if (!existsSync(MODULES_DIR)) {
    throw new ControlPlaneError(
      'find the control-plane modules',
      `${MODULES_DIR} is missing: building needs a checkout of the nbv repository; ` +
        'or set NBV_CONTROLPLANE_BIN',
    );
  }
  const target = join(cacheRoot(env), cacheKey());
  if (missingIn(target).length === 0) return binariesIn(target);

  // Fails early, with advice, when there is no Go toolchain.
  await goCommand('build the control plane', MODULES_DIR, ['version'], env);
  // Build next to the target and rename at the end: a concurrent or interrupted build never
  // leaves a half-filled cache folder behind.
  removeAbandonedBuilds(target);
  const staging = `${target}.partial-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  try {
    log(`building the control plane into ${target} (once; the first build takes several minutes)`);
    for (const module of GO_MODULES) await buildModule(module, staging, env, log);
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
  return binariesIn(target);
}

/** Staging folders of builds whose process is gone (killed before its `finally` ran). */
function removeAbandonedBuilds(target: string): void {
  const root = dirname(target);
  const prefix = `${basename(target)}.partial-`;
  if (!existsSync(root)) return;
  for (const entry of readdirSync(root)) {
    const pid = Number(entry.slice(prefix.length));
    if (entry.startsWith(prefix) && !isAlive(pid)) {
      rmSync(join(root, entry), { recursive: true, force: true });
    }
  }
}

async function buildModule(
  module: GoModule,
  outDir: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<void> {
  const cwd = join(MODULES_DIR, module.dir);
  const ldflags = ['-s', '-w'];
  if (module.module === 'k8s.io/kubernetes') {
    ldflags.push(...(await kubernetesVersionFlags(cwd, env)));
  }
  const entries = Object.entries(module.packages);
  const started = Date.now();
  const names = entries.map(([binary]) => binary).join(', ');
  log(`  go build ${names} (${module.dir}/go.mod)`);
  // One `go build` per module so that the shared packages compile once and links run in
  // parallel; with several packages `-o DIR/` names each binary after its package's last element.
  const [only] = entries;
  const output = entries.length === 1 && only ? join(outDir, only[0]) : `${outDir}/`;
  // -mod=readonly: the committed go.sum must be complete; a build never rewrites the repo.
  const args = ['build', '-mod=readonly', '-trimpath', `-ldflags=${ldflags.join(' ')}`];
  const packages = entries.map(([, pkg]) => pkg);
  await goCommand(`build ${names}`, cwd, [...args, '-o', output, ...packages], env);
  log(`  built ${names} in ${Math.round((Date.now() - started) / 1000)}s`);
}

/**
 * What hack/lib/version.sh would stamp, so that /version and `kubectl version` report the real
 * release. The build date is the tag's commit time from the module proxy, so builds repeat.
 */
async function kubernetesVersionFlags(cwd: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const args = ['list', '-mod=readonly', '-m', '-json', 'k8s.io/kubernetes'];
  const output = await goCommand('read the Kubernetes version', cwd, args, env);
  const info = JSON.parse(output) as { Version: string; Time?: string };
  const [, major, minor] = /^v(\d+)\.(\d+)\./.exec(info.Version) ?? [];
  const values: Record<string, string | undefined> = {
    gitVersion: info.Version,
    gitMajor: major,
    gitMinor: minor,
    gitTreeState: 'clean',
    buildDate: info.Time?.replace(/\.\d+Z$/, 'Z'),
  };
  const flags: string[] = [];
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    for (const [key, value] of Object.entries(values)) {
      if (value) flags.push(`-X=${pkg}.${key}=${value}`);
    }
  }
  return flags;
}

/** Runs `go ARGS` in `cwd`; on failure names the step and shows the end of go's output. */
function goCommand(
  step: string,
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
          ? 'the Go toolchain (`go`) was not found on PATH. Install Go 1.26 or newer, or set ' +
            `NBV_CONTROLPLANE_BIN to a folder with ${BINARY_NAMES.join(', ')}`
          : `cannot run go: ${err.message}`;
      reject(new ControlPlaneError(step, detail));
    });
    // After an 'error' the promise is already settled; this reject is then a no-op.
    child.on('close', (code, signal) => {
      if (code === 0) return resolvePromise(stdout);
      const tail = stderr.trim().split('\n').slice(-30).join('\n');
      const how = signal ? `killed by ${signal}` : `exit ${code}`;
      reject(new ControlPlaneError(step, `go ${args[0]} in ${cwd} failed (${how}):\n${tail}`));
    });
  });
}
