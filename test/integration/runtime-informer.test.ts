// The informer against the real apiserver: list+watch, owner index, 410 re-list, the watchdog
// on a connection that stops delivering, resync, and retry after errors.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { isGone } from '../../src/runtime/errors.ts';
import { Informer } from '../../src/runtime/informer.ts';
import { KubeClient, type KubeObject } from '../../src/runtime/kube.ts';
import { resources } from '../../src/runtime/resources.ts';
import { OWNER_INDEX } from '../../src/runtime/store.ts';
import { freshNamespace, grant, kubeConfig, serviceAccountToken, waitFor } from './cluster.ts';

const client = new KubeClient(kubeConfig());
const informers: Informer[] = [];
after(async () => {
  await Promise.all(informers.map((i) => i.stop()));
  client.close();
});

/** An informer on ConfigMaps that records what its handlers see as "add x", "update x"... */
function recorded(
  options: ConstructorParameters<typeof Informer>[2] & { client?: KubeClient } = {},
): { informer: Informer; events: string[] } {
  const informer = new Informer(options.client ?? client, resources.configMaps, options);
  informers.push(informer);
  const events: string[] = [];
  const name = (o: KubeObject): string => o.metadata?.name ?? '?';
  informer.addHandlers({
    add: (o) => events.push(`add ${name(o)}`),
    update: (old, o) => events.push(old === o ? `resync ${name(o)}` : `update ${name(o)}`),
    delete: (o) => events.push(`delete ${name(o)}`),
  });
  return { informer, events };
}

function configMap(namespace: string, name: string, extra: Partial<KubeObject['metadata']> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { app: 'rt' }, ...extra },
  };
}

const names = (objs: KubeObject[]): string[] => objs.map((o) => o.metadata?.name ?? '').sort();

interface FreezableProxy {
  port: number;
  /** Every open connection stops carrying bytes, both ways, without closing. */
  freeze(): void;
  /** freeze(), and new connections are cut at once, until heal(). */
  partition(): void;
  heal(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy to the apiserver whose freeze() makes open connections go silent: what a dead
 * network path looks like to a client (no error, no close). New connections work.
 */
async function freezableProxy(target: URL): Promise<FreezableProxy> {
  const sockets = new Set<net.Socket>();
  const frozen = new WeakSet<net.Socket>();
  let partitioned = false;
  const freeze = (): void => sockets.forEach((socket) => frozen.add(socket));
  const server = net.createServer((downstream) => {
    if (partitioned) {
      downstream.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const [from, to] of [
      [downstream, upstream],
      [upstream, downstream],
    ] as const) {
      sockets.add(from);
      from.on('data', (chunk) => {
        if (!frozen.has(from)) to.write(chunk);
      });
      from.on('close', () => {
        sockets.delete(from);
        if (!frozen.has(from)) to.destroy();
      });
      from.on('error', () => {});
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze,
    partition() {
      partitioned = true;
      freeze();
    },
    heal() {
      partitioned = false;
    },
    async close() {
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function apiserverUrl(): URL {
  return new URL(kubeConfig().getCurrentCluster()?.server ?? '');
}

/** What a watch from `resourceVersion` fails with right away, if anything. */
async function watchError(resourceVersion: string): Promise<unknown> {
  try {
    const events = client.watch(resources.configMaps, {
      namespace: 'default',
      resourceVersion,
      signal: AbortSignal.timeout(2_000),
    });
    for await (const _ of events) return undefined;
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('Informer', { concurrency: true }, () => {
  it('lists, follows adds/updates/deletes, filters by label and indexes by owner', async () => {
    const namespace = await freshNamespace('rt-inf');
    const owner = await client.create(configMap(namespace, 'owner'));
    const ownerReferences = [
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid ?? '' },
    ];
    for (const name of ['child-0', 'child-1']) {
      await client.create(configMap(namespace, name, { ownerReferences }));
    }
    await client.create(configMap(namespace, 'unlabelled', { labels: {} }));

    const { informer, events } = recorded({ namespace, labelSelector: 'app=rt' });
    informer.start();
    await informer.waitForSync();
    assert.ok(informer.hasSynced());
    assert.deepEqual(names(informer.store.list()), ['child-0', 'child-1', 'owner']);
    assert.deepEqual(events.sort(), ['add child-0', 'add child-1', 'add owner']);
    const uid = owner.metadata?.uid ?? '';
    assert.deepEqual(names(informer.store.byIndex(OWNER_INDEX, uid)), ['child-0', 'child-1']);
    assert.equal(
      informer.store.get(`${namespace}/owner`)?.metadata?.managedFields,
      undefined,
      'managedFields are not kept',
    );

    events.length = 0;
    await client.create(configMap(namespace, 'late'));
    await client.apply({ ...configMap(namespace, 'late'), data: { a: '1' } });
    await client.delete(resources.configMaps, { name: 'child-0', namespace });
    await client.create(configMap(namespace, 'ignored', { labels: { app: 'other' } }));
    await waitFor(() => events.length >= 3, 10_000, 'three events');
    assert.deepEqual(events, ['add late', 'update late', 'delete child-0']);
    assert.deepEqual(names(informer.store.byIndex(OWNER_INDEX, uid)), ['child-1']);
    assert.equal(informer.store.getByName('ignored', namespace), undefined);

    const replayed: string[] = [];
    informer.addHandlers({ add: (o) => replayed.push(o.metadata?.name ?? '') });
    assert.deepEqual(
      replayed.sort(),
      ['child-1', 'late', 'owner'],
      'a late handler gets the cache',
    );
  });

  it('re-lists on 410 Gone after a partition outlasting the watch cache window', async () => {
    // The apiserver answers a watch from a resourceVersion with 410 only once that version has
    // left its watch cache: events are kept for at least 75 s, so this test waits that long,
    // concurrently with the others.
    const namespace = await freshNamespace('rt-410');
    const fillers = await freshNamespace('rt-410-fill');
    await client.create(configMap(namespace, 'stays'));
    await client.create(configMap(namespace, 'goes'));
    const proxy = await freezableProxy(apiserverUrl());
    after(() => proxy.close());
    const viaProxy = new KubeClient(kubeConfig({ server: `https://127.0.0.1:${proxy.port}` }));
    after(() => viaProxy.close());
    const { informer, events } = recorded({
      client: viaProxy,
      namespace,
      labelSelector: 'app=rt',
      watchIdleTimeoutMs: 1000,
      backoff: { initialMs: 200, maxMs: 1000 },
    });
    informer.start();
    await informer.waitForSync();
    const staleVersion = informer.stats.resourceVersion;

    proxy.partition();
    await client.delete(resources.configMaps, { name: 'goes', namespace });
    await client.create(configMap(namespace, 'came'));
    // Past the window, each new event pushes the oldest out of the (full) cache; before it, new
    // events would only make the cache grow.
    await new Promise((resolve) => setTimeout(resolve, 76_000));
    let filler = 0;
    await waitFor(
      async () => {
        await Promise.all(
          Array.from({ length: 100 }, () => client.create(configMap(fillers, `f-${filler++}`))),
        );
        return isGone(await watchError(staleVersion));
      },
      120_000,
      `the apiserver to forget resourceVersion ${staleVersion}`,
    );
    assert.equal(informer.stats.relistsOnGone, 0, 'partitioned: the informer saw nothing yet');
    assert.ok(informer.stats.failures > 0, 'it kept trying during the partition');

    proxy.heal();
    await waitFor(
      () => informer.stats.relistsOnGone >= 1 && informer.stats.lists >= 2,
      20_000,
      'the re-list',
    );
    assert.deepEqual(names(informer.store.list()), ['came', 'stays']);
    assert.ok(events.includes('delete goes'), events.join(', '));
    assert.ok(events.includes('add came'), events.join(', '));
    await client.create(configMap(namespace, 'after'));
    await waitFor(() => informer.store.getByName('after', namespace), 20_000, 'watching again');
  });

  it('restarts a watch whose connection stopped delivering (watchdog)', async () => {
    const namespace = await freshNamespace('rt-dog');
    const proxy = await freezableProxy(apiserverUrl());
    after(() => proxy.close());
    const viaProxy = new KubeClient(kubeConfig({ server: `https://127.0.0.1:${proxy.port}` }));
    after(() => viaProxy.close());
    const { informer } = recorded({ client: viaProxy, namespace, watchIdleTimeoutMs: 1500 });
    informer.start();
    await informer.waitForSync();

    proxy.freeze();
    const before = informer.stats.watchdogRestarts;
    await client.create(configMap(namespace, 'while-frozen'));
    await waitFor(
      () => informer.store.getByName('while-frozen', namespace),
      20_000,
      'the object created while the old connection was frozen',
    );
    assert.ok(informer.stats.watchdogRestarts > before, 'the watchdog restarted the watch');
    assert.equal(informer.stats.lists, 1, 'a restart re-watches from the last version, no re-list');
  });

  it('stops promptly, also when stopped right after it synced', async () => {
    const namespace = await freshNamespace('rt-stop');
    await client.create(configMap(namespace, 'a'));
    const { informer } = recorded({ namespace });
    informer.start();
    await informer.waitForSync();
    const t0 = Date.now();
    await informer.stop();
    assert.ok(Date.now() - t0 < 2_000, `stop took ${Date.now() - t0} ms`);
  });

  it('resyncs: every cached object is delivered again as an update', async () => {
    const namespace = await freshNamespace('rt-resync');
    await client.create(configMap(namespace, 'a'));
    await client.create(configMap(namespace, 'b'));
    const { informer, events } = recorded({ namespace, resyncMs: 300 });
    informer.start();
    await informer.waitForSync();
    await waitFor(
      () => events.includes('resync a') && events.includes('resync b'),
      10_000,
      'resync of a and b',
    );
  });

  it('retries with backoff while the apiserver refuses, and syncs once allowed', async () => {
    const namespace = await freshNamespace('rt-rbac');
    const token = await serviceAccountToken(namespace, 'watcher');
    const asWatcher = new KubeClient(kubeConfig({ user: { name: 'watcher', token } }));
    after(() => asWatcher.close());
    await client.create(configMap(namespace, 'secret-plans'));
    const { informer } = recorded({
      client: asWatcher,
      namespace,
      backoff: { initialMs: 100, maxMs: 400 },
    });
    informer.start();
    await waitFor(() => informer.stats.failures >= 2, 10_000, 'refused lists');
    assert.equal(informer.hasSynced(), false);

    await grant(namespace, 'watcher', [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch'] },
    ]);
    await waitFor(() => informer.hasSynced(), 15_000, 'sync after the RoleBinding');
    assert.ok(informer.store.getByName('secret-plans', namespace));
  });
});
