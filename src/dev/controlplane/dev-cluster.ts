// `nbv dev cluster`: a control plane for a person, outliving the command that started it. A
// detached supervisor process (supervisor.ts) owns the components, so that they die with it and
// `down` has one process to stop. It describes the running cluster in STATE_FILE.
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { extname, join } from 'node:path';
import { ensureBinaries } from './build.ts';
import type { ComponentInfo, ControlPlane } from './controlplane.ts';
import { ControlPlaneError } from './errors.ts';
import { isHealthy, type TlsFiles } from './http.ts';
import { assertPortFree, isAlive, tailFile } from './process.ts';

const STATE_FILE = 'cluster.json';
const SUPERVISOR_LOG = 'supervisor.log';
// supervisor.ts beside this file, or supervisor.js once compiled.
const SUPERVISOR = join(import.meta.dirname, `supervisor${extname(import.meta.filename)}`);

export interface ClusterState {
  supervisorPid: number;
  kubeconfig: string;
  server: string;
  version: string;
  tls: TlsFiles;
  components: ComponentInfo[];
  startedAt: string;
}

export function defaultStateDir(cwd: string, env: NodeJS.ProcessEnv): string {
  return env.XDG_STATE_HOME
    ? join(env.XDG_STATE_HOME, 'nbv', 'dev-cluster')
    : join(cwd, '.nbv', 'dev-cluster');
}

export function writeState(stateDir: string, controlPlane: ControlPlane): void {
  const state: ClusterState = {
    supervisorPid: process.pid,
    kubeconfig: controlPlane.kubeconfigPath,
    server: controlPlane.server,
    version: controlPlane.version,
    tls: controlPlane.tls,
    components: controlPlane.components,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(join(stateDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

export function removeState(stateDir: string): void {
  rmSync(join(stateDir, STATE_FILE), { force: true });
}

/** The running cluster's description, or undefined when none runs (a stale file is ignored). */
export function readState(stateDir: string): ClusterState | undefined {
  const file = join(stateDir, STATE_FILE);
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
  return isAlive(state.supervisorPid) ? state : undefined;
}

/**
 * Builds the binaries if needed (in the foreground, so progress shows), then starts the
 * supervisor detached and waits until it reports the cluster ready or dies.
 */
export async function startDetached(
  stateDir: string,
  options: { apiserverPort?: number; env: NodeJS.ProcessEnv; log: (line: string) => void },
): Promise<ClusterState> {
  const binaries = await ensureBinaries({ env: options.env, log: options.log });
  // Checked here too, so that the message needs no detour through the supervisor's log.
  if (options.apiserverPort !== undefined) {
    await assertPortFree(options.apiserverPort, 'start kube-apiserver');
  }
  // A fresh cluster each time: `down` wipes the state, and leftovers of a crash go here.
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  const logPath = join(stateDir, SUPERVISOR_LOG);
  const logFd = openSync(logPath, 'a');
  const args = [SUPERVISOR, `--state-dir=${stateDir}`];
  if (options.apiserverPort !== undefined) args.push(`--port=${options.apiserverPort}`);
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...options.env, NBV_CONTROLPLANE_BIN: binaries.dir },
  });
  closeSync(logFd);
  child.unref();
  let exited = false;
  child.once('exit', () => (exited = true));

  const deadline = Date.now() + 180_000;
  for (;;) {
    const state = readState(stateDir);
    if (state) return state;
    if (exited || Date.now() > deadline) {
      if (!exited && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      const why = exited ? 'the supervisor exited' : 'not ready within 180s';
      throw new ControlPlaneError(
        'start the dev cluster',
        `${why}; last lines of ${logPath}:\n${tailFile(logPath)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Stops the supervisor (which stops the components) and removes the state folder. */
export async function stopDetached(stateDir: string): Promise<ClusterState | undefined> {
  const state = readState(stateDir);
  if (state) {
    process.kill(state.supervisorPid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (isAlive(state.supervisorPid) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // A stuck supervisor: SIGKILL it, and its components die by their parent-death signal.
    if (isAlive(state.supervisorPid)) process.kill(state.supervisorPid, 'SIGKILL');
    for (const component of state.components) {
      if (isAlive(component.pid) && isProcessOf(component.pid, component.name)) {
        process.kill(component.pid, 'SIGKILL');
      }
    }
  }
  rmSync(stateDir, { recursive: true, force: true });
  return state;
}

/** Guards against pid reuse: only a process running the component's binary is ours to kill. */
function isProcessOf(pid: number, binaryName: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`/${binaryName}\0`);
  } catch {
    return false;
  }
}

export interface ComponentStatus extends ComponentInfo {
  alive: boolean;
  healthy: boolean;
  /** Resident memory in bytes, when /proc tells. */
  rss?: number;
}

export async function componentStatus(state: ClusterState): Promise<ComponentStatus[]> {
  return Promise.all(
    state.components.map(async (component) => {
      const alive = isAlive(component.pid);
      return {
        ...component,
        alive,
        healthy: alive && (await isHealthy(component.healthUrl, state.tls)),
        rss: alive ? residentBytes(component.pid) : undefined,
      };
    }),
  );
}

function residentBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The end of the supervisor's log, to explain a cluster that is no longer running. */
export function supervisorLogTail(stateDir: string): string | undefined {
  const path = join(stateDir, SUPERVISOR_LOG);
  return existsSync(path) ? tailFile(path, 15) : undefined;
}
