// The manager end to end against the real apiserver: a controller that keeps an owned child per
// primary, retried errors, probes and metrics; and two replica processes handing leadership
// over on SIGTERM after draining the reconcile in flight.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { controllerReference } from '../../src/builders/owner.ts';
import { KubeClient, type KubeObject } from '../../src/runtime/kube.ts';
import { type Lease } from '../../src/runtime/leader.ts';
import { createLogger } from '../../src/runtime/log.ts';
import { Manager } from '../../src/runtime/manager.ts';
import { resources } from '../../src/runtime/resources.ts';
import { freshNamespace, kubeConfig, kubeconfigPath, waitFor } from './cluster.ts';

const client = new KubeClient(kubeConfig());
after(() => client.close());

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

/** A pino destination that keeps the parsed lines. */
function captured(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { lines, stream };
}

async function get(
  port: number | undefined,
  path: string,
): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

describe('Manager', () => {
  it('runs a controller: owned children, retries, probes, metrics, reconcile IDs in logs', async () => {
    const namespace = await freshNamespace('rt-mgr');
    const log = captured();
    const manager = new Manager({
      connection: kubeConfig(),
      namespace,
      leaderElection: false,
      metrics: { port: 0, host: '127.0.0.1' },
      health: { port: 0, host: '127.0.0.1' },
      handleSignals: false,
      processMetrics: false,
      log: createLogger({ level: 'info', destination: log.stream }),
    });
    const primaries = { resource: resources.configMaps, labelSelector: 'role=primary' };
    const cache = manager.informer<ConfigMap>(primaries).store;
    const calls = new Map<string, number>();
    manager.addController({
      name: 'mirror',
      primary: primaries,
      owns: [{ resource: resources.configMaps, labelSelector: 'role=child' }],
      workers: 2,
      async reconcile({ name, namespace: ns }) {
        const primary = cache.getByName(name, ns);
        if (!primary) return;
        calls.set(name, (calls.get(name) ?? 0) + 1);
        if (name === 'flaky' && calls.get(name) === 1) throw new Error('first try fails');
        await client.apply({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: `${name}-child`,
            namespace: ns,
            labels: { role: 'child' },
            ownerReferences: [controllerReference(primary)],
          },
          data: primary.data ?? {},
        });
        return name === 'poll' ? { requeueAfter: 200 } : undefined;
      },
    });
    const running = manager.start();
    after(() => manager.stop());

    await waitFor(
      async () => (await get(manager.ports.health, '/readyz')).status === 200,
      10_000,
      'ready',
    );
    assert.equal((await get(manager.ports.health, '/healthz')).status, 200);
    const primary = (name: string, data: Record<string, string>): ConfigMap => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace, labels: { role: 'primary' } },
      data,
    });
    await client.create(primary('a', { v: '1' }));
    await client.create(primary('flaky', { v: '1' }));
    await client.create(primary('poll', {}));
    const child = (name: string) =>
      client.get<ConfigMap>(resources.configMaps, `${name}-child`, namespace);
    await waitFor(() => child('a'), 10_000, 'a-child');
    await waitFor(() => child('flaky'), 10_000, 'flaky-child after a retry');
    // Its first try failed; a retry made the child (whose creation enqueues flaky once more).
    assert.ok((calls.get('flaky') ?? 0) >= 2);

    // An owned object's events reach its owner: a deleted child comes back.
    await client.delete(resources.configMaps, { name: 'a-child', namespace });
    await waitFor(
      async () => (await child('a'))?.metadata?.uid !== undefined,
      10_000,
      'a-child back',
    );
    await client.apply({ ...primary('a', { v: '2' }) });
    await waitFor(async () => (await child('a'))?.data?.v === '2', 10_000, 'a-child updated');
    await waitFor(() => (calls.get('poll') ?? 0) >= 4, 10_000, 'requeueAfter polling');

    const metrics = (await get(manager.ports.metrics, '/metrics')).body;
    assert.match(
      metrics,
      /controller_runtime_reconcile_total\{controller="mirror",result="success"\} [1-9]/,
    );
    assert.match(
      metrics,
      /controller_runtime_reconcile_total\{controller="mirror",result="requeue_after"\} [1-9]/,
    );
    assert.match(metrics, /controller_runtime_reconcile_errors_total\{controller="mirror"\} 1\n/);
    assert.match(
      metrics,
      /controller_runtime_max_concurrent_reconciles\{controller="mirror"\} 2\n/,
    );
    assert.match(
      metrics,
      /controller_runtime_reconcile_time_seconds_count\{controller="mirror"\} [1-9]/,
    );
    assert.match(metrics, /workqueue_adds_total\{name="mirror"\} [1-9]/);
    assert.match(metrics, /workqueue_retries_total\{name="mirror"\} 1\n/);
    assert.match(metrics, /workqueue_longest_running_processor_seconds\{name="mirror"\}/);

    const failure = log.lines.find((l) => l.msg === 'reconciler error');
    assert.ok(failure, 'the failed reconcile is logged');
    assert.equal(failure.controller, 'mirror');
    assert.equal(failure.namespace, namespace);
    assert.equal(failure.name, 'flaky');
    assert.match(String(failure.reconcileID), /^[0-9a-f-]{36}$/);
    assert.match(JSON.stringify(failure.err), /first try fails/);

    await manager.stop();
    await running;
    assert.equal(
      await fetch(`http://127.0.0.1:${manager.ports.health}/healthz`).catch(() => 'closed'),
      'closed',
    );
  });

  it('hands over on SIGTERM: drains the reconcile in flight, releases the lease', async () => {
    const namespace = await freshNamespace('rt-handover');
    const children: ChildProcess[] = [];
    after(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));
    const replica = (identity: string): { proc: ChildProcess; out: string[] } => {
      const proc = spawn(
        process.execPath,
        [join(import.meta.dirname, 'runtime-manager-process.ts')],
        {
          env: {
            ...process.env,
            NBV_TEST_KUBECONFIG: kubeconfigPath(),
            RT_NAMESPACE: namespace,
            RT_IDENTITY: identity,
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      children.push(proc);
      const out: string[] = [];
      if (proc.stdout) createInterface({ input: proc.stdout }).on('line', (line) => out.push(line));
      return { proc, out };
    };
    const holder = async (): Promise<string | undefined> =>
      (await client.get<Lease>(resources.leases, 'rt-manager', namespace))?.spec?.holderIdentity;
    const handledBy = async (name: string): Promise<string | undefined> =>
      (await client.get<ConfigMap>(resources.configMaps, name, namespace))?.metadata?.annotations?.[
        'handled-by'
      ];
    const job = (name: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace, labels: { role: 'job' } },
    });

    const a = replica('replica-a');
    await waitFor(async () => (await holder()) === 'replica-a', 20_000, 'replica-a leading');
    const b = replica('replica-b');
    await client.create(job('one'));
    await waitFor(async () => (await handledBy('one')) === 'replica-a', 10_000, 'one handled by a');

    await client.create(job('slow-two'));
    await waitFor(
      () => a.out.some((l) => l.includes('"name":"slow-two"') && l.includes('"msg":"reconciling"')),
      10_000,
      'a reconciling slow-two',
    );
    const termAt = Date.now();
    a.proc.kill('SIGTERM');
    const [code] = (await once(a.proc, 'exit')) as [number | null];
    assert.equal(code, 0, 'a clean exit');
    assert.equal(
      await handledBy('slow-two'),
      'replica-a',
      'the reconcile in flight finished first',
    );
    assert.ok(
      a.out.some((l) => l.includes('"released":true')),
      'replica-a says it released the lease',
    );
    await waitFor(async () => (await holder()) === 'replica-b', 10_000, 'replica-b leading');
    const handover = Date.now() - termAt;
    assert.ok(handover < 4_000, `hand-over took ${handover} ms, not less than the lease duration`);

    await client.create(job('three'));
    await waitFor(
      async () => (await handledBy('three')) === 'replica-b',
      10_000,
      'three handled by b',
    );
    b.proc.kill('SIGTERM');
    const [codeB] = (await once(b.proc, 'exit')) as [number | null];
    assert.equal(codeB, 0);
    assert.equal(await holder(), '', 'the last leader released too');
  });
});
