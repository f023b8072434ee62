import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnyBaseModel, BaseModelStatus } from '../../api/ome.ts';
import type { InspectResult } from '../../model/report.ts';
import {
  accessModeAdvice,
  decideModel,
  fillEmptySpecFields,
  type ModelObservation,
} from './decide.ts';

const now = new Date('2026-01-01T00:00:00Z');
const model = (
  uri = 'pvc://models/tiny/v1',
  status?: BaseModelStatus,
  spec: Record<string, unknown> = {},
): AnyBaseModel =>
  ({
    apiVersion: 'ome.io/v1beta1',
    kind: 'BaseModel',
    metadata: { name: 'tiny', namespace: 'ml', generation: 2 },
    spec: { storage: { storageUri: uri }, ...spec },
    ...(status ? { status } : {}),
  }) as AnyBaseModel;
const bound = { kind: 'bound', accessModes: ['ReadWriteOnce'] } as const;
const observe = (over: Partial<ModelObservation>): ModelObservation => ({
  model: model(),
  claimNamespace: 'ml',
  claim: bound,
  job: { kind: 'none' },
  servingReplicas: 0,
  now,
  ...over,
});
const result: InspectResult = {
  v: 1,
  ok: true,
  configFile: 'config.json',
  layout: 'transformers',
  metadata: {
    modelType: 'llama',
    modelArchitecture: 'LlamaForCausalLM',
    maxTokens: 2048,
    modelParameterSize: '1.10B',
    modelCapabilities: ['TEXT_TO_TEXT'],
    modelFormat: { name: 'safetensors' },
  },
  findings: [],
};
const condition = (s: BaseModelStatus, type: string) => s.conditions?.find((c) => c.type === type);

describe('decideModel', () => {
  it('fails an invalid URI with PVCInvalid', () => {
    const d = decideModel(observe({ model: model('pvc://ns:c/m') }));
    assert.equal(d.status.state, 'Failed');
    assert.equal(condition(d.status, 'SourceReachable')?.reason, 'PVCInvalid');
    assert.deepEqual(d.actions, []);
  });

  it('fails a missing claim with PVCNotFound, and waits on an unbound one', () => {
    const missing = decideModel(observe({ claim: { kind: 'notFound' } }));
    assert.equal(missing.status.state, 'Failed');
    assert.equal(condition(missing.status, 'Ready')?.reason, 'PVCNotFound');
    const pending = decideModel(observe({ claim: { kind: 'unbound', phase: 'Pending' } }));
    assert.equal(pending.status.state, 'In_Transit');
    assert.equal(condition(pending.status, 'Ready')?.reason, 'PVCNotBound');
  });

  it('creates the metadata Job once the claim is bound', () => {
    const d = decideModel(observe({}));
    assert.equal(d.status.state, 'Importing');
    assert.deepEqual(d.actions, [
      {
        type: 'createJob',
        claim: { claimName: 'models', subPath: 'tiny/v1' },
        claimNamespace: 'ml',
      },
    ]);
    assert.equal(condition(d.status, 'MetadataExtracted')?.reason, 'PVCMetadataExtracting');
    assert.match(d.status.metadataJobName ?? '', /^metadata-tiny-/);
  });

  it('becomes Ready, fills only the empty spec fields and records the fingerprint', () => {
    const d = decideModel(
      observe({
        model: model(undefined, undefined, { modelType: 'mine' }),
        job: { kind: 'succeeded', result: { ok: true, value: result } },
      }),
    );
    assert.equal(d.status.state, 'Ready');
    assert.equal(condition(d.status, 'Ready')?.status, 'True');
    assert.equal(condition(d.status, 'Ready')?.reason, 'PVCMetadataReady');
    assert.equal(d.specFill.modelType, undefined, 'never overwrites what the user wrote');
    assert.equal(d.specFill.modelArchitecture, 'LlamaForCausalLM');
    assert.equal(d.specFill.maxTokens, 2048);
    assert.ok(d.status.metadataFingerprint);
  });

  it('does not re-extract after the Job is gone (TTL), nor flicker', () => {
    const ready = decideModel(
      observe({ job: { kind: 'succeeded', result: { ok: true, value: result } } }),
    ).status;
    const later = decideModel(observe({ model: model(undefined, ready), job: { kind: 'none' } }));
    assert.equal(later.status.state, 'Ready');
    assert.deepEqual(later.actions, []);
    assert.equal(
      condition(later.status, 'Ready')?.lastTransitionTime,
      condition(ready, 'Ready')?.lastTransitionTime,
    );
  });

  it('re-extracts for a changed URI and deletes the old Job', () => {
    const ready = decideModel(
      observe({ job: { kind: 'succeeded', result: { ok: true, value: result } } }),
    ).status;
    const changed = decideModel(
      observe({ model: model('pvc://models/tiny/v2', ready), job: { kind: 'none' } }),
    );
    assert.equal(changed.status.state, 'Importing');
    assert.deepEqual(
      changed.actions.map((a) => a.type),
      ['deleteJob', 'createJob'],
    );
    assert.equal(
      changed.actions[0]?.type === 'deleteJob' && changed.actions[0].name,
      ready.metadataJobName,
    );
  });

  it('fails when extraction fails or the result is unreadable', () => {
    const notModel = decideModel(
      observe({
        job: {
          kind: 'succeeded',
          result: {
            ok: true,
            value: { v: 1, ok: false, reason: 'no-config', error: 'no config.json', findings: [] },
          },
        },
      }),
    );
    assert.equal(notModel.status.state, 'Failed');
    assert.match(
      condition(notModel.status, 'MetadataExtracted')?.message ?? '',
      /no-config: no config.json/,
    );
    const garbage = decideModel(
      observe({ job: { kind: 'succeeded', result: { ok: false, error: 'not JSON' } } }),
    );
    assert.equal(
      condition(garbage.status, 'MetadataExtracted')?.reason,
      'PVCMetadataExtractionFailed',
    );
    const failedJob = decideModel(
      observe({ job: { kind: 'failed', message: 'BackoffLimitExceeded' } }),
    );
    assert.equal(failedJob.status.state, 'Failed');
  });

  it('recovers by itself when a missing claim appears', () => {
    const missing = decideModel(observe({ claim: { kind: 'notFound' } })).status;
    const appeared = decideModel(observe({ model: model(undefined, missing) }));
    assert.equal(appeared.status.state, 'Importing');
    assert.equal(appeared.actions[0]?.type, 'createJob');
  });

  it('advises on access modes for several serving replicas', () => {
    assert.match(accessModeAdvice(['ReadWriteOnce'], 3) ?? '', /one node/);
    assert.equal(accessModeAdvice(['ReadOnlyMany'], 3), undefined);
    assert.equal(accessModeAdvice(['ReadWriteOnce'], 1), undefined);
    const d = decideModel(observe({ servingReplicas: 2 }));
    assert.match(condition(d.status, 'SourceReachable')?.message ?? '', /ReadWriteOnce/);
  });

  it('fills nothing from a failed inspection', () => {
    assert.deepEqual(
      fillEmptySpecFields(model().spec, {
        v: 1,
        ok: false,
        reason: 'bad-config',
        error: 'x',
        findings: [],
      }),
      {},
    );
  });
});
