import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from './kube.ts';
import { OWNER_INDEX, Store } from './store.ts';

function pod(
  name: string,
  owners: string[],
  node = 'n1',
): KubeObject & { spec: { nodeName: string } } {
  return {
    metadata: {
      name,
      namespace: 'ns',
      ownerReferences: owners.map((uid) => ({ apiVersion: 'v1', kind: 'X', name: uid, uid })),
    },
    spec: { nodeName: node },
  };
}

const names = (objs: KubeObject[]): string[] => objs.map((o) => o.metadata?.name ?? '').sort();

describe('Store', () => {
  it('keys objects by namespace/name and indexes them by owner uid', () => {
    const store = new Store();
    store.upsert(pod('a', ['job-1']));
    store.upsert(pod('b', ['job-1', 'job-2']));
    store.upsert(pod('c', []));
    assert.equal(store.size, 3);
    assert.equal(store.get('ns/a')?.metadata?.name, 'a');
    assert.equal(store.getByName('b', 'ns')?.metadata?.name, 'b');
    assert.deepEqual(names(store.byIndex(OWNER_INDEX, 'job-1')), ['a', 'b']);
    assert.deepEqual(names(store.byIndex(OWNER_INDEX, 'job-2')), ['b']);
    assert.deepEqual(store.byIndex(OWNER_INDEX, 'job-3'), []);
  });

  it('keeps indexes right when an object changes or goes', () => {
    const store = new Store();
    const first = pod('a', ['job-1']);
    store.upsert(first);
    const old = store.upsert(pod('a', ['job-2']));
    assert.equal(old, first, 'upsert returns what it replaced');
    assert.deepEqual(store.byIndex(OWNER_INDEX, 'job-1'), []);
    assert.deepEqual(names(store.byIndex(OWNER_INDEX, 'job-2')), ['a']);
    assert.equal(store.delete('ns/a')?.metadata?.name, 'a');
    assert.equal(store.delete('ns/a'), undefined);
    assert.deepEqual(store.byIndex(OWNER_INDEX, 'job-2'), []);
    assert.equal(store.size, 0);
  });

  it('takes custom indexers and rejects unknown index names', () => {
    const store = new Store<ReturnType<typeof pod>>({
      node: (o) => [(o as ReturnType<typeof pod>).spec.nodeName],
    });
    store.upsert(pod('a', [], 'n1'));
    store.upsert(pod('b', [], 'n2'));
    assert.deepEqual(names(store.byIndex('node', 'n2')), ['b']);
    assert.throws(() => store.byIndex('zone', 'z'), /no index named zone/);
  });

  it('keys cluster-scoped objects by name and refuses nameless ones', () => {
    const store = new Store();
    store.upsert({ metadata: { name: 'cluster-thing' } });
    assert.ok(store.get('cluster-thing'));
    assert.throws(() => store.upsert({ kind: 'Pod', metadata: {} }), /Pod has no metadata.name/);
  });
});
