import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { AnyBaseModel, InferenceService } from '../../api/ome.ts';
import { failureResult, terminationMessage } from '../../model/report.ts';
import {
  MODEL_FINALIZER,
  claimLookup,
  finalizersPatch,
  hasFinalizer,
  jobLookup,
  modelIndexKeys,
  readInspectResult,
  servedModelKey,
  servingReplicas,
} from './observe.ts';

const model = (kind: string, uri: string, meta: Record<string, unknown> = {}): AnyBaseModel =>
  ({
    apiVersion: 'ome.io/v1beta1',
    kind,
    metadata: { name: 'tiny', ...(kind === 'BaseModel' ? { namespace: 'ml' } : {}), ...meta },
    spec: { storage: { storageUri: uri } },
  }) as AnyBaseModel;

const ok = JSON.stringify({
  v: 1,
  ok: true,
  configFile: 'config.json',
  layout: 'transformers',
  metadata: { modelType: 'llama' },
  findings: [],
});

const pod = (exitCode: number, message: string | undefined, finishedAt = '2026-01-01T00:00:00Z') =>
  ({
    status: {
      containerStatuses: [
        {
          name: 'inspect',
          state: { terminated: { exitCode, finishedAt, ...(message ? { message } : {}) } },
        },
      ],
    },
  }) as unknown as V1Pod;

const job = (condition?: { type: string; reason?: string; message?: string }): V1Job => ({
  metadata: { name: 'metadata-tiny-abc', namespace: 'ml' },
  status: condition ? { conditions: [{ ...condition, status: 'True' }] } : {},
});

describe('claimLookup', () => {
  it('tells missing, pending, terminating and bound claims apart', () => {
    assert.deepEqual(claimLookup(undefined), { kind: 'notFound' });
    assert.deepEqual(claimLookup({ status: { phase: 'Pending' } }), {
      kind: 'unbound',
      phase: 'Pending',
    });
    assert.deepEqual(claimLookup({}), { kind: 'unbound', phase: 'Pending' });
    assert.deepEqual(
      claimLookup({
        metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' as never },
        status: { phase: 'Bound' },
      }),
      { kind: 'unbound', phase: 'Terminating' },
    );
    assert.deepEqual(
      claimLookup({
        spec: { accessModes: ['ReadWriteOnce'] },
        status: { phase: 'Bound', accessModes: ['ReadOnlyMany'] },
      }),
      { kind: 'bound', accessModes: ['ReadOnlyMany'] },
    );
  });
});

describe('jobLookup', () => {
  it('is none without a Job and running without a terminal condition', () => {
    assert.deepEqual(jobLookup(undefined, []), { kind: 'none' });
    assert.deepEqual(jobLookup(job(), []), { kind: 'running' });
    assert.deepEqual(jobLookup(job({ type: 'FailureTarget' }), []), { kind: 'running' });
  });

  it("reads the newest successful pod's termination message", () => {
    const looked = jobLookup(job({ type: 'Complete' }), [
      pod(1, 'old failure', '2026-01-01T00:00:00Z'),
      pod(0, ok, '2026-01-01T00:01:00Z'),
    ]);
    assert.equal(looked.kind, 'succeeded');
    assert.ok(looked.kind === 'succeeded' && looked.result.ok && looked.result.value.ok);
  });

  it('turns a message that is not JSON, truncated or empty into an error, never a throw', () => {
    for (const [message, pattern] of [
      ['Traceback (most recent call last)', /not JSON/],
      [ok.slice(0, 40), /not JSON/],
      ['{"v":2}', /model inspect result is invalid/],
      [undefined, /no termination message/],
    ] as const) {
      const looked = jobLookup(job({ type: 'Complete' }), [pod(0, message)]);
      assert.ok(looked.kind === 'succeeded' && !looked.result.ok);
      assert.match(looked.result.error, pattern);
    }
    const gone = jobLookup(job({ type: 'Complete' }), []);
    assert.ok(gone.kind === 'succeeded' && !gone.result.ok);
    assert.match(gone.result.error, /pod of the finished metadata Job is gone/);
  });

  it("explains a failed Job with the last pod's result", () => {
    const notAModel = terminationMessage(failureResult('no-config', 'no config.json in /model'));
    const looked = jobLookup(
      job({
        type: 'Failed',
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit',
      }),
      [pod(1, notAModel)],
    );
    assert.deepEqual(looked, {
      kind: 'failed',
      message:
        'BackoffLimitExceeded: Job has reached the specified backoff limit; nbv model inspect: no-config: no config.json in /model',
    });
    const noPod = jobLookup(job({ type: 'Failed', reason: 'DeadlineExceeded' }), []);
    assert.deepEqual(noPod, { kind: 'failed', message: 'DeadlineExceeded' });
    const garbage = jobLookup(job({ type: 'Failed' }), [pod(137, undefined)]);
    assert.deepEqual(garbage, {
      kind: 'failed',
      message: 'the Job failed; nbv model inspect: exit code 137',
    });
  });
});

describe('readInspectResult', () => {
  it('accepts what nbv model inspect writes', () => {
    const read = readInspectResult(ok);
    assert.ok(read.ok && read.value.ok && read.value.metadata.modelType === 'llama');
  });
});

describe('keys and replicas', () => {
  it('indexes a model by its claim and its current metadata Job', () => {
    const keys = modelIndexKeys(model('BaseModel', 'pvc://models/tiny/v1'));
    assert.equal(keys[0], 'claim:ml/models');
    assert.match(keys[1] ?? '', /^job:ml\/metadata-tiny-[0-9a-f]+$/);
    const cluster = modelIndexKeys(model('ClusterBaseModel', 'pvc://store:shared/tiny'));
    assert.equal(cluster[0], 'claim:store/shared');
    assert.match(cluster[1] ?? '', /^job:store\/metadata-tiny-/);
    assert.deepEqual(modelIndexKeys(model('BaseModel', 'pvc://ns:c/m')), []);
    assert.deepEqual(modelIndexKeys(model('ClusterBaseModel', 'pvc://c/m')), []);
  });

  it('names the served model and takes the largest replica count of live services', () => {
    const svc = (
      engine: InferenceService['spec']['engine'],
      deleting = false,
    ): InferenceService => ({
      apiVersion: 'ome.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 's', namespace: 'ml', ...(deleting ? { deletionTimestamp: 'x' } : {}) },
      spec: { model: { name: 'tiny' }, ...(engine ? { engine } : {}) },
    });
    assert.equal(servedModelKey(svc(undefined)), 'BaseModel:ml/tiny');
    assert.equal(servingReplicas([]), 0);
    assert.equal(servingReplicas([svc(undefined)]), 1);
    assert.equal(
      servingReplicas([svc({ minReplicas: 1, maxReplicas: 4 }), svc({ minReplicas: 2 })]),
      4,
    );
    assert.equal(servingReplicas([svc({ minReplicas: 9 }, true)]), 0);
  });
});

describe('finalizer', () => {
  it('adds and removes only its own finalizer, guarded by the resourceVersion', () => {
    const m = model('BaseModel', 'pvc://c/m', { finalizers: ['other'], resourceVersion: '7' });
    assert.equal(hasFinalizer(m), false);
    assert.deepEqual(finalizersPatch(m, true), {
      metadata: { finalizers: ['other', MODEL_FINALIZER], resourceVersion: '7' },
    });
    const withIt = model('BaseModel', 'pvc://c/m', {
      finalizers: [MODEL_FINALIZER, 'other'],
      resourceVersion: '8',
    });
    assert.equal(hasFinalizer(withIt), true);
    assert.deepEqual(finalizersPatch(withIt, false), {
      metadata: { finalizers: ['other'], resourceVersion: '8' },
    });
  });
});
