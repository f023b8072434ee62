// The sandbox of a local step: bubblewrap with a fresh root made of read-only binds of the
// system folders and the Python prefixes, a bind per volume mount at its real mountPath, and
// tmpfs scratch. The host's `/` is never bound: bwrap would create mount points on the host.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { which } from '../util/fs.ts';

export interface Mount {
  hostPath: string;
  target: string;
  readOnly: boolean;
}

export interface SandboxSpec {
  /** Host folders visible read-only at the same path: the system's and the Python prefixes. */
  systemPaths: readonly string[];
  mounts: readonly Mount[];
  cwd: string;
}

export const SYSTEM_PATHS = [
  '/usr',
  '/etc',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/opt',
];

export type Sandbox = { kind: 'bwrap'; bwrap: string } | { kind: 'none'; reason: string };

/** bubblewrap when it is installed and can create namespaces here (unless NBV_SANDBOX=none); otherwise why not. */
export function detectSandbox(env: NodeJS.ProcessEnv): Sandbox {
  if (env.NBV_SANDBOX === 'none') return { kind: 'none', reason: 'NBV_SANDBOX=none' };
  const bwrap = which('bwrap', env);
  if (!bwrap)
    return {
      kind: 'none',
      reason: 'bubblewrap (bwrap) is not installed (Debian/Ubuntu: apt-get install bubblewrap)',
    };
  const probe = spawnSync(
    bwrap,
    bwrapArgs({ systemPaths: SYSTEM_PATHS, mounts: [], cwd: '/' }, ['true']),
    { encoding: 'utf8', timeout: 10_000 },
  );
  if (probe.status !== 0) {
    return {
      kind: 'none',
      reason: `bubblewrap cannot create a sandbox here: ${(probe.stderr || probe.error?.message || '').trim()}`,
    };
  }
  return { kind: 'bwrap', bwrap };
}

/** Deeper mount points after shallower ones, so that a mount inside another stays visible. */
function byDepth(a: Mount, b: Mount): number {
  return a.target.split('/').length - b.target.split('/').length;
}

export function bwrapArgs(spec: SandboxSpec, command: readonly string[]): string[] {
  const args = [
    '--die-with-parent',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--hostname',
    'nbv',
  ];
  const seen = new Set<string>();
  const bind = (path: string) => {
    // Merged-/usr systems have /bin -> usr/bin: keep the link, do not bind twice.
    if (lstatSync(path).isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
    else args.push('--ro-bind', path, path);
  };
  for (const path of spec.systemPaths) {
    if (seen.has(path) || !existsSync(path)) continue;
    seen.add(path);
    // A mount point to create inside a read-only folder (/etc/nbv/...): the folder becomes a
    // tmpfs holding read-only binds of its entries, so bwrap can make the mount point there.
    const inside = spec.mounts.some(
      (m) => m.target.startsWith(`${path}/`) && !existsSync(m.target),
    );
    if (inside && !lstatSync(path).isSymbolicLink()) {
      args.push('--tmpfs', path);
      for (const entry of readdirSync(path)) bind(join(path, entry));
    } else bind(path);
  }
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  for (const m of [...spec.mounts].sort(byDepth))
    args.push(m.readOnly ? '--ro-bind' : '--bind', m.hostPath, m.target);
  args.push('--chdir', spec.cwd, '--', ...command);
  return args;
}
