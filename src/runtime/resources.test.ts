import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { controllerReference } from '../builders/owner.ts';
import { microTime, parseKey, parseTime } from './kube.ts';
import {
  apiVersionOf,
  parseApiVersion,
  resourcePath,
  resourceType,
  resources,
} from './resources.ts';

describe('resource paths', () => {
  it('builds core, group, namespaced, cluster-scoped and subresource paths', () => {
    assert.equal(resourcePath(resources.pods, { namespace: 'ns' }), '/api/v1/namespaces/ns/pods');
    assert.equal(resourcePath(resources.pods), '/api/v1/pods', 'all namespaces');
    assert.equal(
      resourcePath(resources.pods, { namespace: 'ns', name: 'p', subresource: 'log' }),
      '/api/v1/namespaces/ns/pods/p/log',
    );
    assert.equal(
      resourcePath(resources.leases, { namespace: 'ns', name: 'l' }),
      '/apis/coordination.k8s.io/v1/namespaces/ns/leases/l',
    );
    assert.equal(resourcePath(resources.namespaces, { name: 'x' }), '/api/v1/namespaces/x');
  });

  it('refuses a named namespaced object without namespace, and a namespace on a cluster kind', () => {
    assert.throws(() => resourcePath(resources.pods, { name: 'p' }), /needs a namespace/);
    assert.throws(
      () => resourcePath(resources.namespaces, { namespace: 'ns', name: 'x' }),
      /cluster-scoped/,
    );
  });

  it('converts API definitions and apiVersions', () => {
    const type = resourceType({
      group: 'ome.io',
      version: 'v1beta1',
      kind: 'ClusterBaseModel',
      plural: 'clusterbasemodels',
      scope: 'Cluster',
    });
    assert.equal(type.namespaced, false);
    assert.equal(apiVersionOf(type), 'ome.io/v1beta1');
    assert.equal(apiVersionOf(resources.pods), 'v1');
    assert.deepEqual(parseApiVersion('v1'), { group: '', version: 'v1' });
    assert.deepEqual(parseApiVersion('batch/v1'), { group: 'batch', version: 'v1' });
  });
});

describe('object helpers', () => {
  it('parses keys both ways', () => {
    assert.deepEqual(parseKey('ns/name'), { namespace: 'ns', name: 'name' });
    assert.deepEqual(parseKey('name'), { name: 'name' });
  });

  it('formats MicroTime with six fractional digits and reads wire or Date timestamps', () => {
    assert.equal(microTime(new Date('2025-01-02T03:04:05.678Z')), '2025-01-02T03:04:05.678000Z');
    assert.equal(parseTime('2025-01-02T03:04:05Z')?.toISOString(), '2025-01-02T03:04:05.000Z');
    const d = new Date();
    assert.equal(parseTime(d), d);
    assert.equal(parseTime('not a time'), undefined);
    assert.equal(parseTime(undefined), undefined);
  });

  it('makes a controller owner reference, refusing an owner without uid', () => {
    const owner = {
      apiVersion: 'mlops.mlops.dev/v1alpha1',
      kind: 'NotebookValidationJob',
      metadata: { name: 'j', uid: 'u1' },
    };
    assert.deepEqual(controllerReference(owner), {
      apiVersion: 'mlops.mlops.dev/v1alpha1',
      kind: 'NotebookValidationJob',
      name: 'j',
      uid: 'u1',
      controller: true,
      blockOwnerDeletion: true,
    });
    assert.throws(() => controllerReference({ ...owner, metadata: { name: 'j' } }), /uid/);
  });
});
