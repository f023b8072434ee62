// Leader election with real Leases: one leader at a time, take-over after the lease expires,
// immediate hand-over on release, and stepping down when the lease is lost.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { KubeClient } from '../../src/runtime/kube.ts';
import { LeaderElector, type Lease } from '../../src/runtime/leader.ts';
import { RuntimeMetrics } from '../../src/runtime/metrics.ts';
import { resources } from '../../src/runtime/resources.ts';
import { freshNamespace, kubeConfig, waitFor } from './cluster.ts';

const client = new KubeClient(kubeConfig());
after(() => client.close());

const TIMING = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 300 };

interface Candidate {
  elector: LeaderElector;
  /** Times (Date.now) at which it started and stopped leading. */
  started: number[];
  stopped: number[];
  leading(): boolean;
  run: Promise<void>;
}

const candidates: Candidate[] = [];
after(() => Promise.all(candidates.map((c) => c.elector.stop())));

function candidate(
  namespace: string,
  identity: string,
  extra: Partial<ConstructorParameters<typeof LeaderElector>[0]> = {},
): Candidate {
  const started: number[] = [];
  const stopped: number[] = [];
  const elector = new LeaderElector({
    client,
    name: 'nbv-test',
    namespace,
    identity,
    ...TIMING,
    onStartedLeading: () => started.push(Date.now()),
    onStoppedLeading: () => stopped.push(Date.now()),
    ...extra,
  });
  const c: Candidate = {
    elector,
    started,
    stopped,
    leading: () => started.length > stopped.length,
    run: elector.run(),
  };
  candidates.push(c);
  return c;
}

/**
 * `a` leading, then `b` campaigning behind it: returned once b has read the lease held by a
 * (and so has decided not to take it), which a fixed sleep would not guarantee.
 */
async function leaderAndFollower(
  namespace: string,
  aOptions: Partial<ConstructorParameters<typeof LeaderElector>[0]> = {},
): Promise<{ a: Candidate; b: Candidate }> {
  const a = candidate(namespace, 'a', aOptions);
  await waitFor(() => a.leading(), 10_000, 'a leading');
  const seen: string[] = [];
  const b = candidate(namespace, 'b', { onNewLeader: (identity) => seen.push(identity) });
  await waitFor(() => seen.includes('a'), 10_000, 'b seeing a lead');
  assert.equal(b.leading(), false);
  return { a, b };
}

async function holder(namespace: string): Promise<Lease['spec']> {
  const lease = await client.get<Lease>(resources.leases, 'nbv-test', namespace);
  return lease?.spec;
}

describe('LeaderElector', () => {
  it('lets exactly one of two candidates lead, and reports it in the metric', async () => {
    const namespace = await freshNamespace('rt-lead');
    const metrics = new RuntimeMetrics();
    const a = candidate(namespace, 'a', { metrics });
    const b = candidate(namespace, 'b');
    const leader = await waitFor(
      () => (a.leading() ? a : b.leading() ? b : undefined),
      10_000,
      'a leader',
    );
    const other = leader === a ? b : a;
    // Over several lease durations, the other never leads and the leader never steps down.
    const until = Date.now() + 2 * TIMING.leaseDurationMs;
    while (Date.now() < until) {
      assert.equal(other.leading(), false, 'two leaders at once');
      assert.equal(leader.leading(), true, 'the leader stepped down');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const spec = await holder(namespace);
    assert.equal(spec?.holderIdentity, leader.elector.identity);
    assert.equal(spec?.leaseDurationSeconds, 3);
    const metric = await metrics.leaderStatus.get();
    const expected = leader === a ? 1 : 0;
    assert.equal(metric.values.find((v) => v.labels.name === 'nbv-test')?.value, expected);
  });

  it('takes over after the lease expires when the leader vanishes without releasing', async () => {
    const namespace = await freshNamespace('rt-expire');
    const { a, b } = await leaderAndFollower(namespace, { releaseOnStop: false });

    const stoppedAt = Date.now();
    await a.elector.stop();
    assert.equal((await holder(namespace))?.holderIdentity, 'a', 'not released');
    await waitFor(() => b.leading(), 3 * TIMING.leaseDurationMs, 'b leading');
    const takeover = (b.started[0] ?? 0) - stoppedAt;
    // b waits out the lease from when it last saw a renew (at most one retry period before the stop).
    assert.ok(
      takeover >= TIMING.leaseDurationMs - 2 * TIMING.retryPeriodMs,
      `took over after only ${takeover} ms`,
    );
    assert.ok(
      takeover <= TIMING.leaseDurationMs + 3 * TIMING.retryPeriodMs + 1_000,
      `took ${takeover} ms`,
    );
    const spec = await holder(namespace);
    assert.equal(spec?.holderIdentity, 'b');
    assert.equal(spec?.leaseTransitions, 1);
  });

  it('hands over at once when the leader releases the lease on stop', async () => {
    const namespace = await freshNamespace('rt-release');
    const { a, b } = await leaderAndFollower(namespace);

    const stoppedAt = Date.now();
    await a.elector.stop();
    assert.equal(a.leading(), false);
    assert.equal(a.stopped.length, 1, 'onStoppedLeading on release');
    await waitFor(() => b.leading(), TIMING.leaseDurationMs, 'b leading');
    const takeover = (b.started[0] ?? 0) - stoppedAt;
    // At most b's next retry (period x up to 2.2 jitter), well inside the lease duration.
    assert.ok(takeover < TIMING.leaseDurationMs / 2, `hand-over took ${takeover} ms`);
  });

  it('steps down when it cannot renew because someone else took the lease', async () => {
    const namespace = await freshNamespace('rt-lost');
    const a = candidate(namespace, 'a');
    await waitFor(() => a.leading(), 10_000, 'a leading');
    // Read-modify-write may race a's renewals: retried until it wins once.
    await waitFor(
      async () => {
        const lease = await client.get<Lease>(resources.leases, 'nbv-test', namespace);
        assert.ok(lease);
        await client.replace<Lease>({
          ...lease,
          spec: { ...lease.spec, holderIdentity: 'intruder', leaseDurationSeconds: 3600 },
        });
        return true;
      },
      10_000,
      'the intruder taking the lease',
    );
    const takenAt = Date.now();
    await waitFor(
      () => !a.leading(),
      TIMING.renewDeadlineMs + 3 * TIMING.retryPeriodMs + 2_000,
      'a stepping down',
    );
    const lostAfter = (a.stopped[0] ?? 0) - takenAt;
    assert.ok(
      lostAfter >= TIMING.renewDeadlineMs - 2 * TIMING.retryPeriodMs,
      `stepped down after ${lostAfter} ms`,
    );
    await a.run;
    assert.equal((await holder(namespace))?.holderIdentity, 'intruder', 'a loser does not release');
  });
});
