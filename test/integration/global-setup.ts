// Node's --test-global-setup hook (see scripts/test.ts): one real control plane for the whole
// test run. Test files run in child processes of this one and inherit the environment set here,
// which test/integration/cluster.ts reads.
import { rmSync } from 'node:fs';
import { startControlPlane, type ControlPlane } from '../../src/dev/controlplane/index.ts';

let controlPlane: ControlPlane | undefined;
let crashed = false;

const log = (line: string): void => {
  process.stderr.write(`[control plane] ${line}\n`);
};

export async function globalSetup(): Promise<void> {
  controlPlane = await startControlPlane({ log });
  process.env.NBV_TEST_KUBECONFIG = controlPlane.kubeconfigPath;
  process.env.NBV_TEST_KUBECTL = controlPlane.binaries.path.kubectl;
  void controlPlane.crashed.then((description) => {
    crashed = true;
    log(`component died during the run: ${description}`);
  });
}

export async function globalTeardown(): Promise<void> {
  // The runner may call this twice when interrupted.
  const stopping = controlPlane;
  controlPlane = undefined;
  if (!stopping) return;
  await stopping.stop();
  // Logs stay for a post-mortem when something died; otherwise nothing is left behind.
  if (crashed) log(`state and logs kept in ${stopping.stateDir}`);
  else rmSync(stopping.stateDir, { recursive: true, force: true });
}
