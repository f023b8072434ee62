import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Deployment } from '@kubernetes/client-node';
import type {
  AnyBaseModel,
  AnyServingRuntime,
  BaseModelStatus,
  InferenceService,
  InferenceServiceStatus,
} from '../../api/ome.ts';
import {
  checkModel,
  decideInferenceService,
  engineCondition,
  type ServiceObservation,
} from './decide.ts';

const now = new Date('2026-01-01T00:00:00Z');
const readyStatus: BaseModelStatus = {
  state: 'Ready',
  conditions: [
    {
      type: 'Ready',
      status: 'True',
      reason: 'PVCMetadataReady',
      message: 'ok',
      lastTransitionTime: now.toISOString(),
    },
  ],
};

const baseModel = (over: Partial<AnyBaseModel['spec']> = {}, status = readyStatus): AnyBaseModel =>
  ({
    apiVersion: 'ome.io/v1beta1',
    kind: 'BaseModel',
    metadata: { name: 'tiny', namespace: 'serve', uid: 'm-1' },
    spec: {
      storage: { storageUri: 'pvc://models/tiny/v1' },
      modelFormat: { name: 'safetensors', operator: 'Equal', weight: 1 },
      modelArchitecture: 'LlamaForCausalLM',
      ...over,
    },
    status,
  }) as AnyBaseModel;

const clusterModel = (uri: string): AnyBaseModel =>
  ({
    apiVersion: 'ome.io/v1beta1',
    kind: 'ClusterBaseModel',
    metadata: { name: 'shared', uid: 'c-1' },
    spec: { storage: { storageUri: uri }, modelFormat: { name: 'safetensors' } },
    status: readyStatus,
  }) as AnyBaseModel;

const runtime = (over: Record<string, unknown> = {}): AnyServingRuntime =>
  ({
    apiVersion: 'ome.io/v1beta1',
    kind: 'ClusterServingRuntime',
    metadata: { name: 'tiny-rt' },
    spec: {
      supportedModelFormats: [{ modelFormat: { name: 'safetensors' }, autoSelect: true }],
      engineConfig: {
        runner: { name: 'engine', image: 'engine:1', ports: [{ containerPort: 9000 }] },
      },
      ...over,
    },
  }) as AnyServingRuntime;

const service = (
  model: InferenceService['spec']['model'] = { name: 'tiny' },
  status?: InferenceServiceStatus,
): InferenceService => ({
  apiVersion: 'ome.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name: 'tiny', namespace: 'serve', uid: 's-1', generation: 3 },
  spec: { model, engine: { minReplicas: 2 } },
  ...(status ? { status } : {}),
});

const deployment = (ready: number, over: Partial<V1Deployment> = {}): V1Deployment => ({
  metadata: { name: 'tiny-engine', generation: 1 },
  spec: { replicas: 2, selector: {}, template: {} },
  status: { observedGeneration: 1, readyReplicas: ready },
  ...over,
});

const observe = (over: Partial<ServiceObservation> = {}): ServiceObservation => ({
  isvc: service(),
  model: baseModel(),
  runtimes: [runtime()],
  deployment: undefined,
  now,
  ...over,
});

const cond = (status: InferenceServiceStatus, type: string) =>
  status.conditions?.find((c) => c.type === type);

describe('checkModel', () => {
  it('names a missing BaseModel and a missing ClusterBaseModel', () => {
    const missing = checkModel(service(), undefined);
    assert.deepEqual(missing, {
      ok: false,
      reason: 'ModelNotFound',
      message: 'BaseModel serve/tiny does not exist',
    });
    const cluster = checkModel(service({ name: 'shared', kind: 'ClusterBaseModel' }), undefined);
    assert.equal(!cluster.ok && cluster.message, 'ClusterBaseModel shared does not exist');
  });

  it('rejects a disabled model, a non-PVC URI and an invalid one', () => {
    const disabled = checkModel(service(), baseModel({ disabled: true }));
    assert.equal(!disabled.ok && disabled.reason, 'ModelDisabled');
    const s3 = checkModel(service(), baseModel({ storage: { storageUri: 's3://b/m' } }));
    assert.equal(!s3.ok && s3.reason, 'ModelStorageNotSupported');
    const bad = checkModel(service(), baseModel({ storage: { storageUri: 'pvc://ns:c/m' } }));
    assert.equal(!bad.ok && bad.reason, 'ModelStorageInvalid');
  });

  it('rejects a ClusterBaseModel whose claim is in another namespace, even before it is Ready', () => {
    const isvc = service({ name: 'shared', kind: 'ClusterBaseModel' });
    const model = { ...clusterModel('pvc://store:models/shared'), status: undefined };
    const check = checkModel(isvc, model as AnyBaseModel);
    assert.equal(!check.ok && check.reason, 'ModelClaimInOtherNamespace');
    assert.match(!check.ok ? check.message : '', /claim models is in namespace store/);
    const same = checkModel(isvc, clusterModel('pvc://serve:models/shared'));
    assert.equal(same.ok, true);
  });

  it('waits for a model that is not Ready, quoting its reason', () => {
    const importing = baseModel(
      {},
      {
        state: 'In_Transit',
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'PVCNotBound',
            message: 'claim is Pending',
            lastTransitionTime: now.toISOString(),
          },
        ],
      },
    );
    const check = checkModel(service(), importing);
    assert.equal(!check.ok && check.reason, 'ModelNotReady');
    assert.equal(
      !check.ok && check.message,
      'BaseModel serve/tiny is In_Transit (PVCNotBound: claim is Pending)',
    );
    const fresh = checkModel(service(), { ...baseModel(), status: undefined } as AnyBaseModel);
    assert.match(!fresh.ok ? fresh.message : '', /not reconciled yet/);
  });
});

describe('engineCondition', () => {
  it('is Unknown without a Deployment or before its controller saw the spec', () => {
    assert.equal(engineCondition(undefined, 1).reason, 'DeploymentCreating');
    const stale = deployment(2, {
      metadata: { name: 'd', generation: 2 },
      status: { observedGeneration: 1, readyReplicas: 2 },
    });
    assert.equal(engineCondition(stale, 2).reason, 'DeploymentProgressing');
  });

  it('is True with every replica ready, False with the Deployment’s reason otherwise', () => {
    const ready = engineCondition(deployment(2), 2);
    assert.equal(ready.status, 'True');
    assert.match(ready.message, /2\/2 replicas ready/);
    const stuck = engineCondition(
      deployment(0, {
        status: {
          observedGeneration: 1,
          conditions: [
            { type: 'ReplicaFailure', status: 'True', message: 'exceeded quota' } as never,
          ],
        },
      }),
      2,
    );
    assert.equal(stuck.status, 'False');
    assert.equal(stuck.message, 'Deployment tiny-engine: 0/2 replicas ready; exceeded quota');
  });
});

describe('decideInferenceService', () => {
  it('builds the Deployment and Service, with URL and runtime in status', () => {
    const d = decideInferenceService(observe());
    assert.ok(d.objects);
    const pod = d.objects.deployment.spec?.template.spec;
    const mount = pod?.containers[0]?.volumeMounts?.find((m) => m.mountPath === '/opt/ml/model');
    assert.deepEqual(mount, {
      name: 'model-pvc',
      mountPath: '/opt/ml/model',
      subPath: 'tiny/v1',
      readOnly: true,
    });
    assert.equal(d.status.url, 'http://tiny.serve.svc.cluster.local:9000');
    assert.equal(d.status.runtime, 'tiny-rt');
    assert.equal(d.status.observedGeneration, 3);
    assert.equal(cond(d.status, 'ModelReady')?.status, 'True');
    assert.equal(cond(d.status, 'RuntimeResolved')?.reason, 'RuntimeSelected');
    assert.equal(cond(d.status, 'EngineReady')?.reason, 'DeploymentCreating');
    assert.equal(cond(d.status, 'Ready')?.status, 'Unknown');
    assert.equal(d.event, undefined, 'no event for an Unknown readiness');
  });

  it('is Ready once the replicas are, with one Normal event on the transition', () => {
    const d = decideInferenceService(observe({ deployment: deployment(2) }));
    assert.equal(cond(d.status, 'Ready')?.status, 'True');
    assert.equal(d.event?.reason, 'InferenceServiceReady');
    const again = decideInferenceService(
      observe({ isvc: service(undefined, d.status), deployment: deployment(2) }),
    );
    assert.equal(again.event, undefined);
    assert.deepEqual(again.status, d.status, 'a repeat changes nothing');
  });

  it('applies nothing while the model is missing, and says why in Ready', () => {
    const d = decideInferenceService(observe({ model: undefined }));
    assert.equal(d.objects, undefined);
    assert.equal(cond(d.status, 'ModelReady')?.reason, 'ModelNotFound');
    assert.equal(cond(d.status, 'RuntimeResolved')?.reason, 'WaitingForModel');
    assert.equal(cond(d.status, 'Ready')?.status, 'False');
    assert.equal(cond(d.status, 'Ready')?.reason, 'ModelNotFound');
    assert.equal(d.event?.type, 'Warning');
  });

  it('keeps reporting a Deployment made before the model stopped being servable', () => {
    const d = decideInferenceService(
      observe({ model: baseModel({ disabled: true }), deployment: deployment(2) }),
    );
    assert.equal(d.objects, undefined);
    assert.equal(cond(d.status, 'EngineReady')?.status, 'True');
    assert.equal(cond(d.status, 'Ready')?.reason, 'ModelDisabled');
  });

  it('reports the runtime selection failure', () => {
    const d = decideInferenceService(observe({ runtimes: [] }));
    assert.equal(d.objects, undefined);
    assert.equal(cond(d.status, 'RuntimeResolved')?.reason, 'NoRuntimeFound');
    assert.equal(cond(d.status, 'EngineReady')?.reason, 'WaitingForRuntime');
  });

  it('narrows runtimes to the kind the service names', () => {
    const isvc = {
      ...service(),
      spec: { ...service().spec, runtime: { name: 'tiny-rt', kind: 'ServingRuntime' } },
    };
    const d = decideInferenceService(observe({ isvc }));
    assert.equal(cond(d.status, 'RuntimeResolved')?.reason, 'RuntimeNotFound');
  });

  it('refuses a runtime without an image', () => {
    const d = decideInferenceService(
      observe({ runtimes: [runtime({ engineConfig: { runner: { name: 'engine' } } })] }),
    );
    assert.equal(d.objects, undefined);
    assert.equal(cond(d.status, 'RuntimeResolved')?.reason, 'RuntimeHasNoImage');
  });

  it('serves a ClusterBaseModel whose claim is in the service namespace', () => {
    const d = decideInferenceService(
      observe({
        isvc: service({ name: 'shared', kind: 'ClusterBaseModel' }),
        model: clusterModel('pvc://serve:models/shared/v2'),
      }),
    );
    assert.ok(d.objects);
    const volume = d.objects.deployment.spec?.template.spec?.volumes?.find(
      (v) => v.name === 'model-pvc',
    );
    assert.deepEqual(volume?.persistentVolumeClaim, { claimName: 'models', readOnly: true });
  });
});
