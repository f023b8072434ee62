// The detached process behind `nbv dev cluster up` (see dev-cluster.ts). It starts the control
// plane, publishes its state, and stops it on SIGTERM/SIGINT. When a component crashes it stops
// the rest and exits non-zero; its log (supervisor.log) then ends with the component's log tail.
import { parseArgs } from 'node:util';
import { errorMessage } from '../../errors.ts';
import { startControlPlane } from './controlplane.ts';
import { removeState, writeState } from './dev-cluster.ts';

const { values } = parseArgs({
  options: { 'state-dir': { type: 'string' }, port: { type: 'string' } },
});
const stateDir = values['state-dir'];
if (!stateDir) throw new Error('supervisor: --state-dir is required');

const log = (line: string): void => console.log(`${new Date().toISOString()} ${line}`);
// Registered before the components start, so a signal during start-up is ours to handle.
const stopRequested = new Promise<string>((resolve) => {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => resolve(`received ${signal}`));
  }
});

try {
  const controlPlane = await startControlPlane({
    stateDir,
    apiserverPort: values.port === undefined ? undefined : Number(values.port),
    log,
  });
  writeState(stateDir, controlPlane);
  const crash = controlPlane.crashed.then((description) => `a component died: ${description}`);
  const reason = await Promise.race([stopRequested, crash]);
  log(`stopping: ${reason}`);
  removeState(stateDir);
  await controlPlane.stop();
  log('stopped');
  process.exit(reason.startsWith('received') ? 0 : 1);
} catch (err) {
  log(`failed: ${errorMessage(err)}`);
  process.exit(1);
}
