// The operator's guarantees across failures, on the real control plane with the operator as a
// process under its generated role: a SIGKILL mid-run and a restart leave every job with exactly
// one terminal phase and one pod per attempt; with two replicas only the leader reconciles and
// the other takes over within the lease duration once the leader dies.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { NotebookValidationJob } from '../../src/api/notebookvalidationjob.ts';
import { notebookValidationJobs } from '../../src/controllers/notebookvalidationjob/controller.ts';
import { KubeClient, resources, type Lease, type WatchEvent } from '../../src/runtime/index.ts';
import { completePod, freshNamespace, kubeConfig, podNames, waitFor } from './cluster.ts';
import {
  OPERATOR_NAMESPACE,
  apiserverUrl,
  applyCrds,
  operatorKubeconfig,
  startOperator,
  type OperatorProcess,
} from './operator.ts';
import { TcpProxy } from './tcp-proxy.ts';

const SUMMARY = JSON.stringify({
  nbvReport: 1,
  phase: 'Succeeded',
  message: 'all 1 code cells succeeded',
  cells: { total: 1, succeeded: 1, failed: 0, skipped: 0 },
  failedCells: [],
  complete: true,
  status: {
    phase: 'Succeeded',
    message: 'all 1 code cells succeeded',
    results: [{ cellIndex: 0, status: 'Success' }],
  },
});
const client = new KubeClient(kubeConfig());
const running: OperatorProcess[] = [];
after(async () => {
  await Promise.all(running.map((o) => o.stop('SIGKILL')));
  client.close();
});

async function operator(namespace: string, name: string, args: string[] = [], server?: string) {
  const op = await startOperator({
    webhook: false,
    name,
    args: ['--namespace', namespace, ...args],
    ...(server ? { server } : {}),
  });
  running.push(op);
  return op;
}

function createJob(namespace: string, name: string): Promise<unknown> {
  return client.create({
    apiVersion: 'mlops.mlops.dev/v1alpha1',
    kind: 'NotebookValidationJob',
    metadata: { name, namespace },
    spec: {
      notebook: { git: { url: 'https://git.example.com/a.git', ref: 'main' }, path: 'nb.ipynb' },
      podConfig: { containerImage: 'quay.io/jupyter/minimal-notebook:2025-01-01' },
    },
  });
}

const pods = (namespace: string): Promise<string[]> =>
  podNames(namespace, 'app.kubernetes.io/component=validation');

async function phases(namespace: string): Promise<(string | undefined)[]> {
  const list = await client.list<NotebookValidationJob>(notebookValidationJobs, { namespace });
  return list.items.map((j) => j.status?.phase);
}

function podExists(namespace: string, name: string): Promise<boolean> {
  return pods(namespace).then((list) => list.includes(name));
}

function finish(namespace: string, pod: string): Promise<void> {
  return completePod(namespace, pod, { report: { exitCode: 0, message: SUMMARY } });
}

/** Every phase each job has had, in order, from a watch started before the jobs exist. */
function recordPhases(namespace: string): {
  phases: Map<string, string[]>;
  stop: () => void;
  failure: () => unknown;
} {
  const phases = new Map<string, string[]>();
  const controller = new AbortController();
  let failure: unknown;
  void (async () => {
    const events: AsyncGenerator<WatchEvent<NotebookValidationJob>> = client.watch(
      notebookValidationJobs,
      { namespace, signal: controller.signal, timeoutSeconds: 600 },
    );
    try {
      for await (const event of events) {
        if (event.type === 'BOOKMARK') continue;
        const name = event.object.metadata.name ?? '';
        const list = phases.get(name) ?? [];
        const phase = event.object.status?.phase ?? '';
        if (list.at(-1) !== phase) list.push(phase);
        phases.set(name, list);
      }
    } catch (err) {
      if (!controller.signal.aborted) failure = err;
    }
  })();
  return {
    phases,
    failure: () => failure,
    stop: () => controller.abort(),
  };
}

describe('operator restarts and leader election', () => {
  it('SIGKILL mid-run, restart: one terminal phase per job, one pod per attempt', async () => {
    await applyCrds();
    const namespace = await freshNamespace('nvj-kill');
    // Fresh CRDs answer 429 while their storage initializes.
    await waitFor(() => phases(namespace), 30_000, 'NotebookValidationJobs served');
    const recorder = recordPhases(namespace);
    const first = await operator(namespace, 'first');
    const names = Array.from({ length: 6 }, (_, i) => `job-${i}`);
    await Promise.all(names.map((n) => createJob(namespace, n)));
    await waitFor(
      async () => (await pods(namespace)).length === names.length,
      30_000,
      'a pod per job',
    );
    // Half finish while the operator is alive; it dies in the middle of reporting them.
    await Promise.all(names.slice(0, 3).map((n) => finish(namespace, `${n}-validation-1`)));
    await first.stop('SIGKILL');
    assert.equal(first.child.signalCode, 'SIGKILL');
    // Work arrives while no operator runs.
    await Promise.all(names.slice(3).map((n) => finish(namespace, `${n}-validation-1`)));
    await Promise.all(['late-0', 'late-1'].map((n) => createJob(namespace, n)));

    const second = await operator(namespace, 'second');
    for (const late of ['late-0', 'late-1']) {
      await waitFor(() => podExists(namespace, `${late}-validation-1`), 30_000, `${late} pod`);
      await finish(namespace, `${late}-validation-1`);
    }
    const all = [...names, 'late-0', 'late-1'];
    await waitFor(
      async () => (await phases(namespace)).filter((p) => p === 'Succeeded').length === all.length,
      60_000,
      `every job Succeeded; log:\n${second.describe()}`,
    );
    assert.deepEqual(
      await pods(namespace),
      all.map((n) => `${n}-validation-1`).sort(),
      'exactly one pod per job (one attempt each)',
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    recorder.stop();
    assert.equal(recorder.failure(), undefined, 'the phase watch ran throughout');
    for (const name of all) {
      const seen = recorder.phases.get(name) ?? [];
      assert.equal(seen.at(-1), 'Succeeded', `${name}: ${seen.join(' -> ')}`);
      assert.equal(
        seen.filter((p) => p === 'Succeeded' || p === 'Failed').length,
        1,
        `${name}: ${seen.join(' -> ')}`,
      );
      const order = ['', 'Initializing', 'ValidationRunning', 'Succeeded'];
      const ranks = seen.map((p) => order.indexOf(p));
      assert.deepEqual(
        ranks,
        [...ranks].sort((a, b) => a - b),
        `${name} moved back: ${seen.join(' -> ')}`,
      );
    }
    await second.stop();
  });

  it('the apiserver going away and coming back: the operator carries on', async (t) => {
    const namespace = await freshNamespace('nvj-outage');
    const target = apiserverUrl(await operatorKubeconfig());
    const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port) });
    await proxy.up();
    const op = await operator(namespace, 'outage', [], `https://127.0.0.1:${proxy.port}`);
    await createJob(namespace, 'through-outage');
    await waitFor(() => podExists(namespace, 'through-outage-validation-1'), 30_000, 'pod');
    await proxy.down();
    assert.ok(proxy.connectionsCut > 0, 'the operator was connected through the proxy');
    // While the operator cannot reach the apiserver, the pod finishes and a new job arrives.
    await finish(namespace, 'through-outage-validation-1');
    await createJob(namespace, 'during-outage');
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    assert.equal(op.child.exitCode, null, 'the operator is still running');
    await proxy.up();
    const upAt = Date.now();
    await waitFor(() => podExists(namespace, 'during-outage-validation-1'), 60_000, 'new pod');
    await finish(namespace, 'during-outage-validation-1');
    await waitFor(
      async () => (await phases(namespace)).join(' ') === 'Succeeded Succeeded',
      60_000,
      `both jobs Succeeded; log:\n${op.describe()}`,
    );
    t.diagnostic(`both jobs done ${Date.now() - upAt} ms after the apiserver came back`);
    await op.stop();
    await proxy.down();
  });

  it('two replicas: only the leader reconciles; the other takes over within the lease duration', async (t) => {
    const namespace = await freshNamespace('nvj-ha');
    const election = [
      '--leader-elect',
      '--lease-namespace',
      OPERATOR_NAMESPACE,
      '--lease-duration',
      '4s',
      '--renew-deadline',
      '3s',
      '--retry-period',
      '500ms',
    ];
    const replicas = await Promise.all([
      operator(namespace, 'replica-a', election),
      operator(namespace, 'replica-b', election),
    ]);
    const holder = async () =>
      (await client.get<Lease>(resources.leases, 'nbv-operator', OPERATOR_NAMESPACE))?.spec
        ?.holderIdentity ?? '';
    const leaderName = await waitFor(
      async () => {
        const h = await holder();
        return h.startsWith('replica-a_') || h.startsWith('replica-b_') ? h : undefined;
      },
      30_000,
      'a leader',
    );
    const leader = replicas.find((r) =>
      leaderName.startsWith(r === replicas[0] ? 'replica-a_' : 'replica-b_'),
    );
    const standby = replicas.find((r) => r !== leader);
    assert.ok(leader && standby);

    await Promise.all(['ha-0', 'ha-1', 'ha-2'].map((n) => createJob(namespace, n)));
    await waitFor(async () => (await pods(namespace)).length === 3, 30_000, 'pods of ha-*');
    const created = (op: OperatorProcess) => op.logs.filter((l) => l.msg === 'created pod').length;
    assert.equal(created(leader), 3, 'the leader created the pods');
    assert.equal(created(standby), 0, 'the stand-by reconciled nothing');

    await leader.stop('SIGKILL');
    const killedAt = Date.now();
    await createJob(namespace, 'after-failover');
    await waitFor(() => podExists(namespace, 'after-failover-validation-1'), 20_000, 'failover');
    const takeoverMs = Date.now() - killedAt;
    t.diagnostic(`stand-by created the next pod ${takeoverMs} ms after the leader's SIGKILL`);
    assert.ok(takeoverMs <= 4_000 + 1_500, `took over after ${takeoverMs} ms (lease 4 s)`);
    assert.equal(created(standby), 1);
    assert.ok((await holder()).startsWith(standby === replicas[0] ? 'replica-a_' : 'replica-b_'));
    await standby.stop();
  });
});
