// Child processes of the control plane: spawned with their output in a log file, stopped
// gracefully on request, and killed whenever this process goes away, so that no etcd or
// kube-apiserver outlives the test run or the `nbv dev cluster` supervisor that started it.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { ControlPlaneError } from './errors.ts';
import { which } from '../../util/fs.ts';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<Component>();

export class Component {
  readonly name: string;
  readonly logPath: string;
  readonly pid: number;
  /** Set once the process has exited. */
  exitStatus: ExitStatus | undefined;
  readonly exited: Promise<ExitStatus>;
  private readonly child: ChildProcess;
  private stopping = false;

  constructor(name: string, command: string, args: string[], logPath: string) {
    installExitHooks();
    this.name = name;
    this.logPath = logPath;
    const log = openSync(logPath, 'a');
    try {
      const [cmd, ...rest] = withParentDeathSignal([command, ...args]);
      // A process group of its own: Ctrl-C in a terminal reaches only us, and we stop the
      // components in order instead of all of them dying at once mid-request.
      this.child = spawn(cmd ?? command, rest, { stdio: ['ignore', log, log], detached: true });
    } finally {
      closeSync(log);
    }
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        live.delete(this);
        resolve(this.exitStatus);
      });
    });
    // Without a listener an 'error' (say, a binary that cannot be executed) would crash us.
    this.child.on('error', () => {});
    if (this.child.pid === undefined) {
      throw new ControlPlaneError(`start ${name}`, `cannot run ${command}`);
    }
    this.pid = this.child.pid;
    live.add(this);
  }

  /** True when the process ended although nobody asked it to stop. */
  get crashed(): boolean {
    return this.exitStatus !== undefined && !this.stopping;
  }

  describeExit(): string {
    const status = this.exitStatus;
    const how = !status
      ? 'is running'
      : status.signal
        ? `was killed by ${status.signal}`
        : `exited with code ${status.code}`;
    return `${this.name} ${how}; last lines of ${this.logPath}:\n${tailFile(this.logPath)}`;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    if (this.exitStatus) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  killNow(): void {
    this.stopping = true;
    if (!this.exitStatus) this.child.kill('SIGKILL');
  }
}

/** True when a process with this pid exists (signal 0 only checks). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The last `lines` lines of a log file (reads at most the last 64 KiB). */
export function tailFile(path: string, lines = 25): string {
  if (!existsSync(path)) return '(no log)';
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8').trimEnd();
    return text ? text.split('\n').slice(-lines).join('\n') : '(empty log)';
  } finally {
    closeSync(fd);
  }
}

/**
 * Polls `check` until it returns true. Fails early, with the tail of the component's log, when
 * the component exits while we wait, and after `timeoutMs` otherwise.
 */
export async function waitUntilReady(
  component: Component,
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (component.exitStatus)
      throw new ControlPlaneError(`start ${component.name}`, exitHint(component));
    if (await check()) return;
    if (Date.now() > deadline) {
      throw new ControlPlaneError(
        `start ${component.name}`,
        `${what} not reached within ${timeoutMs / 1000}s; ${component.describeExit()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function exitHint(component: Component): string {
  const description = component.describeExit();
  return /address already in use/i.test(description)
    ? `a port it needs is already in use; ${description}`
    : description;
}

/** A distinct free TCP port on 127.0.0.1 for each name, held open together so none repeats. */
export async function freePorts<K extends string>(names: readonly K[]): Promise<Record<K, number>> {
  const servers: Server[] = [];
  try {
    for (const _ of names) servers.push(await listen(0));
    const ports = servers.map((s) => {
      const address = s.address();
      if (address === null || typeof address === 'string') throw new Error('no TCP address');
      return address.port;
    });
    return Object.fromEntries(names.map((name, i) => [name, ports[i]])) as Record<K, number>;
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

export async function assertPortFree(port: number, step: string): Promise<void> {
  let server: Server;
  try {
    server = await listen(port);
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? err.code : undefined;
    const reason = code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${String(code)})`;
    throw new ControlPlaneError(step, `port 127.0.0.1:${port} ${reason}`);
  }
  await new Promise((resolve) => server.close(resolve));
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/**
 * On Linux, `setpriv --pdeathsig SIGKILL` makes the kernel kill the component when its parent
 * dies, even by SIGKILL, which no exit handler can catch. setpriv execs the command, so the pid
 * stays the component's own.
 */
function withParentDeathSignal(argv: string[]): string[] {
  const setpriv = process.platform === 'linux' ? which('setpriv', process.env) : undefined;
  return setpriv ? [setpriv, '--pdeathsig', 'SIGKILL', '--', ...argv] : argv;
}

let hooksInstalled = false;

// Exit and signal hooks are the second line of defence after stop(): they kill what is still
// running. On a signal that nobody else handles, they kill and re-raise it, so that Ctrl-C ends
// the process the usual way; a process with its own handler (the dev-cluster supervisor) stops
// the components itself, and the exit hook covers whatever it leaves.
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const killAll = (): void => {
    for (const component of live) component.killNow();
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      if (process.listenerCount(signal) > 1) return;
      killAll();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
