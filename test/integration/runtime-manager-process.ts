// One operator replica for runtime-manager.test.ts: a Manager with leader election whose
// controller marks each ConfigMap labelled role=job with the identity of the replica that
// handled it. A ConfigMap named "slow-*" takes SLOW_MS to reconcile, to catch a shutdown
// mid-reconcile. Logs go to stdout as JSON; exit code 0 after a clean shutdown.
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient, type KubeObject } from '../../src/runtime/kube.ts';
import { createLogger } from '../../src/runtime/log.ts';
import { Manager } from '../../src/runtime/manager.ts';
import { resources } from '../../src/runtime/resources.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const namespace = env('RT_NAMESPACE');
const identity = env('RT_IDENTITY');
const SLOW_MS = 1500;

const kc = new KubeConfig();
kc.loadFromFile(env('NBV_TEST_KUBECONFIG'));
const client = new KubeClient(kc);
const manager = new Manager({
  client,
  namespace,
  log: createLogger({ level: 'info', base: { identity } }),
  metrics: false,
  health: { port: 0, host: '127.0.0.1' },
  leaderElection: {
    name: 'rt-manager',
    namespace,
    identity,
    leaseDurationMs: 4_000,
    renewDeadlineMs: 3_000,
    retryPeriodMs: 300,
  },
  gracefulShutdownMs: 10_000,
});
const jobs = { resource: resources.configMaps, labelSelector: 'role=job' };
const cache = manager.informer(jobs).store;
manager.addController({
  name: 'marker',
  primary: jobs,
  workers: 2,
  async reconcile({ name, namespace: ns }, { log }) {
    const cm: KubeObject | undefined = cache.getByName(name, ns);
    if (!cm || cm.metadata?.annotations?.['handled-by']) return;
    log.info('reconciling');
    if (name.startsWith('slow-')) await new Promise((resolve) => setTimeout(resolve, SLOW_MS));
    await client.mergePatch(
      resources.configMaps,
      { name, namespace: ns },
      {
        metadata: { annotations: { 'handled-by': identity } },
      },
    );
    log.info('marked');
  },
});

try {
  await manager.start();
  process.exitCode = 0;
} catch (err) {
  console.error(err);
  process.exitCode = 1;
}
