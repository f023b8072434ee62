// nbv dev cluster up|down|status: a local Kubernetes control plane for a person (the one the
// integration tests use), running in the background until `down`.
import { resolve } from 'node:path';
import {
  componentStatus,
  defaultStateDir,
  readState,
  startDetached,
  stopDetached,
  supervisorLogTail,
  type ClusterState,
} from '../../dev/controlplane/dev-cluster.ts';
import { UserError } from '../../errors.ts';
import { integerFlag, parseCommandLine } from '../args.ts';
import { writeLine, type CliIo } from '../io.ts';

const USAGE = `Usage: nbv dev cluster up|down|status [--state-dir DIR] [--port N]

  up      build the control plane if needed (Go toolchain, once), start it in the background
          and print KUBECONFIG=<path> as the last line
  down    stop it and delete its state
  status  show its components, their pids, health and memory

  --state-dir DIR  where certificates, data and logs live
                   (default: $XDG_STATE_HOME/nbv/dev-cluster, else ./.nbv/dev-cluster)
  --port N         kube-apiserver port (default: a free one)

Set NBV_CONTROLPLANE_BIN to a folder with etcd, kube-apiserver, kube-controller-manager,
kube-scheduler, kubectl and kwok to use your own binaries.`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(
    argv,
    { 'state-dir': { type: 'string' }, port: { type: 'string' } },
    USAGE,
    true,
  );
  if (values.help) {
    writeLine(io.stdout, USAGE);
    return 0;
  }
  const [group, action, ...extra] = positionals;
  if (group !== 'cluster' || !action || extra.length > 0) throw new UserError(USAGE);
  const stateDir = values['state-dir']
    ? resolve(io.cwd, values['state-dir'])
    : defaultStateDir(io.cwd, io.env);

  switch (action) {
    case 'up':
      return up(stateDir, integerFlag('port', values.port, 'a TCP port (1-65535)', 1, 65535), io);
    case 'down':
      return down(stateDir, io);
    case 'status':
      return status(stateDir, io);
    default:
      throw new UserError(`unknown action "${action}"\n${USAGE}`);
  }
}

async function up(stateDir: string, apiserverPort: number | undefined, io: CliIo): Promise<number> {
  let state = readState(stateDir);
  if (state) {
    writeLine(io.stdout, `a dev cluster is already running (state in ${stateDir})`);
  } else {
    const log = (line: string): void => writeLine(io.stderr, line);
    state = await startDetached(stateDir, { apiserverPort, env: io.env, log });
  }
  describe(state, io);
  writeLine(io.stdout, `stop it with: nbv dev cluster down${stateFlag(stateDir, io)}`);
  writeLine(io.stdout, `KUBECONFIG=${state.kubeconfig}`);
  return 0;
}

async function down(stateDir: string, io: CliIo): Promise<number> {
  const state = await stopDetached(stateDir);
  writeLine(
    io.stdout,
    state
      ? `stopped the dev cluster at ${state.server} and removed ${stateDir}`
      : `no dev cluster was running (state in ${stateDir})`,
  );
  return 0;
}

async function status(stateDir: string, io: CliIo): Promise<number> {
  const state = readState(stateDir);
  if (!state) {
    writeLine(io.stdout, `no dev cluster is running (state in ${stateDir})`);
    const tail = supervisorLogTail(stateDir);
    if (tail) writeLine(io.stdout, `last lines of its supervisor log:\n${tail}`);
    return 1;
  }
  describe(state, io);
  const components = await componentStatus(state);
  let total = 0;
  for (const c of components) {
    total += c.rss ?? 0;
    const health = !c.alive ? 'not running' : c.healthy ? 'healthy' : 'unhealthy';
    writeLine(
      io.stdout,
      `  ${c.name.padEnd(24)} pid ${String(c.pid).padEnd(8)} ${health.padEnd(12)} ${mib(c.rss)}  ${c.logPath}`,
    );
  }
  writeLine(io.stdout, `  ${'total'.padEnd(24)} ${''.padEnd(25)} ${mib(total)}`);
  writeLine(io.stdout, `KUBECONFIG=${state.kubeconfig}`);
  return components.every((c) => c.healthy) ? 0 : 1;
}

function describe(state: ClusterState, io: CliIo): void {
  writeLine(io.stdout, `Kubernetes ${state.version} at ${state.server} since ${state.startedAt}`);
  writeLine(io.stdout, `supervisor pid ${state.supervisorPid}`);
}

function mib(bytes: number | undefined): string {
  return bytes === undefined ? '      -' : `${(bytes / 1024 / 1024).toFixed(0).padStart(4)} MiB`;
}

function stateFlag(stateDir: string, io: CliIo): string {
  return stateDir === defaultStateDir(io.cwd, io.env) ? '' : ` --state-dir ${stateDir}`;
}
