// The BaseModel, ClusterBaseModel and InferenceService controllers end to end on the real control
// plane: `nbv operator` as a process under its generated role; claims bound by the real PV
// binder; metadata Jobs run by the real Job controller as pods on the kwok node, finished with
// the termination message the real `nbv model inspect` wrote for a real model directory; serving
// Deployments rolled out by the real Deployment and ReplicaSet controllers.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { V1Service } from '@kubernetes/client-node';
import type { AnyBaseModel } from '../../src/api/ome.ts';
import { parseInspectResult, type InspectResult } from '../../src/model/report.ts';
import { resources } from '../../src/runtime/index.ts';
import { freshNamespace, waitFor } from './cluster.ts';
import {
  admin,
  boundClaim,
  condition,
  createClaim,
  deleteCreatedVolumes,
  eventReasons,
  finishMetadataJob,
  getDeployment,
  getJob,
  getModel,
  inspectTermination,
  metadataJobOf,
  types,
  waitForModel,
  waitForService,
  writeTinyModel,
} from './models-env.ts';
import { applyCrds, startOperator, type OperatorProcess } from './operator.ts';

let ns: string;
/** A second namespace, with an operator of its own, for services of models stored elsewhere. */
let other: string;
let operators: OperatorProcess[] = [];
let inspected: { exitCode: number; message: string };
let result: Extract<InspectResult, { ok: true }>;
const clusterModels: string[] = [];

const logs = () => operators.map((o) => o.describe()).join('\n---\n');

function baseModel(name: string, uri: string, spec: Record<string, unknown> = {}): AnyBaseModel {
  return {
    apiVersion: 'ome.io/v1beta1',
    kind: 'BaseModel',
    metadata: { name, namespace: ns },
    spec: { storage: { storageUri: uri }, ...spec },
  } as AnyBaseModel;
}

const state = (s: string) => (m: AnyBaseModel) => m.status?.state === s;

/** Waits for the model's metadata Job, finishes its pod with `termination`, returns the Job name. */
async function extract(
  kind: 'BaseModel' | 'ClusterBaseModel',
  name: string,
  namespace: string | undefined,
  jobNamespace: string,
  termination = inspected,
): Promise<string> {
  const job = await metadataJobOf(kind, name, namespace, logs);
  await finishMetadataJob(jobNamespace, job, termination);
  return job;
}

before(async () => {
  await applyCrds();
  ns = await freshNamespace('models');
  other = await freshNamespace('models-other');
  // One operator per namespace: neither sees (nor fights over) objects of other tests.
  operators = await Promise.all(
    [ns, other].map((n) =>
      startOperator({ args: ['--namespace', n, '--workers', '2'], name: n, webhook: false }),
    ),
  );
  const dir = await writeTinyModel(join(await mkdtemp(join(tmpdir(), 'nbv-models-')), 'tiny'));
  inspected = await inspectTermination(dir);
  const parsed = parseInspectResult(inspected.message);
  assert.ok(parsed.ok, inspected.message);
  result = parsed;
  await boundClaim(ns, 'models', ['ReadWriteOnce']);
});

after(async () => {
  for (const name of clusterModels) await admin.delete(types.ClusterBaseModel, { name });
  await Promise.all(operators.map((o) => o.stop()));
  await deleteCreatedVolumes();
});

describe('BaseModel controller', () => {
  it('makes a model on a bound claim Ready with the metadata nbv model inspect found', async () => {
    assert.equal(inspected.exitCode, 0);
    await admin.create(
      baseModel('tiny', 'pvc://models/tiny/v1', { modelType: 'my-own-type', vendor: 'me' }),
    );
    const jobName = await extract('BaseModel', 'tiny', ns, ns);

    const job = await getJob(ns, jobName);
    const pod = job?.spec?.template.spec;
    assert.deepEqual(pod?.containers[0]?.volumeMounts, [
      { name: 'model', mountPath: '/model', subPath: 'tiny/v1', readOnly: true },
    ]);
    assert.equal(pod?.volumes?.[0]?.persistentVolumeClaim?.claimName, 'models');
    assert.equal(job?.metadata?.ownerReferences?.[0]?.kind, 'BaseModel');

    const ready = await waitForModel('BaseModel', 'tiny', ns, state('Ready'), 'tiny Ready', logs);
    const m = result.metadata;
    assert.equal(ready.spec.modelType, 'my-own-type', 'a field the user set is not overwritten');
    assert.equal(ready.spec.vendor, 'me');
    assert.equal(ready.spec.modelArchitecture, m.modelArchitecture);
    assert.equal(ready.spec.modelArchitecture, 'LlamaForCausalLM');
    assert.equal(ready.spec.maxTokens, m.maxTokens);
    assert.equal(ready.spec.modelParameterSize, m.modelParameterSize);
    assert.deepEqual(ready.spec.modelCapabilities, m.modelCapabilities);
    assert.equal(ready.spec.modelFormat?.name, 'safetensors');
    assert.equal(condition(ready, 'Ready')?.reason, 'PVCMetadataReady');
    assert.equal(condition(ready, 'MetadataExtracted')?.status, 'True');
    assert.equal(condition(ready, 'SourceReachable')?.reason, 'PVCBound');
    assert.equal(ready.status?.observedGeneration, ready.metadata.generation);
    assert.ok(ready.metadata.finalizers?.includes('ome.io/metadata-cleanup'));
    await waitFor(
      async () => (await eventReasons(ns, 'tiny')).includes('PVCMetadataReady'),
      10_000,
      'a PVCMetadataReady event',
    );
  });

  it('fails a model whose claim is missing, and makes it Ready once the claim binds (a watch)', async () => {
    await admin.create(baseModel('late', 'pvc://late-claim/m'));
    const failed = await waitForModel(
      'BaseModel',
      'late',
      ns,
      state('Failed'),
      'late Failed',
      logs,
    );
    assert.equal(condition(failed, 'Ready')?.reason, 'PVCNotFound');
    assert.equal(condition(failed, 'SourceReachable')?.status, 'False');
    assert.match(condition(failed, 'Ready')?.message ?? '', /late-claim does not exist/);

    await boundClaim(ns, 'late-claim');
    await extract('BaseModel', 'late', ns, ns);
    await waitForModel('BaseModel', 'late', ns, state('Ready'), 'late Ready', logs);
  });

  it('keeps a model on a Pending claim In_Transit', async () => {
    await createClaim(ns, 'pending-claim', ['ReadOnlyMany'], 'nbv-test-no-such-class');
    await admin.create(baseModel('waiting', 'pvc://pending-claim/m'));
    const waiting = await waitForModel(
      'BaseModel',
      'waiting',
      ns,
      state('In_Transit'),
      'waiting In_Transit',
      logs,
    );
    assert.equal(condition(waiting, 'Ready')?.reason, 'PVCNotBound');
    assert.match(condition(waiting, 'Ready')?.message ?? '', /is Pending, not Bound/);
    assert.equal(waiting.status?.metadataJobName, undefined, 'no Job before the claim binds');
  });

  it('fails extraction on a termination message that is not JSON or is truncated', async () => {
    for (const [name, message] of [
      ['garbage', 'Segmentation fault (core dumped)'],
      ['truncated', inspected.message.slice(0, inspected.message.length >> 1)],
    ] as const) {
      await admin.create(baseModel(name, `pvc://models/${name}`));
      await extract('BaseModel', name, ns, ns, { exitCode: 0, message });
      const failed = await waitForModel('BaseModel', name, ns, state('Failed'), name, logs);
      const metadata = condition(failed, 'MetadataExtracted');
      assert.equal(metadata?.status, 'False');
      assert.equal(metadata?.reason, 'PVCMetadataExtractionFailed');
      assert.match(metadata?.message ?? '', /not JSON/);
    }
    assert.equal(operators[0]?.child.exitCode, null, 'the operator did not crash');
  });

  it('fails at once, with no second pod, when the directory is not a model', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'nbv-not-a-model-'));
    const notModel = await inspectTermination(empty);
    assert.equal(notModel.exitCode, 1, 'nbv model inspect exits 1 on a directory with no model');
    await admin.create(baseModel('not-a-model', 'pvc://models/empty'));
    const job = await extract('BaseModel', 'not-a-model', ns, ns, notModel);
    const failed = await waitForModel(
      'BaseModel',
      'not-a-model',
      ns,
      state('Failed'),
      'Failed',
      logs,
    );
    assert.equal(condition(failed, 'MetadataExtracted')?.reason, 'PVCMetadataExtractionFailed');
    // The Job controller ends the Job by its podFailurePolicy, before any backoff and retry.
    const ended = await waitFor(
      async () =>
        (await getJob(ns, job))?.status?.conditions?.find(
          (c) => c.type === 'Failed' && c.status === 'True',
        ),
      10_000,
      `Job ${job} Failed`,
    );
    assert.equal(ended.reason, 'PodFailurePolicy');
    const pods = await admin.list(resources.pods, {
      namespace: ns,
      labelSelector: `batch.kubernetes.io/job-name=${job}`,
    });
    assert.equal(pods.items.length, 1, 'no second pod');
  });

  it('re-extracts when the URI changes, deleting the old Job', async () => {
    const before = await getModel('BaseModel', 'tiny', ns);
    const oldJob = before?.status?.metadataJobName ?? '';
    assert.ok(await getJob(ns, oldJob));
    await admin.mergePatch(
      types.BaseModel,
      { name: 'tiny', namespace: ns },
      { spec: { storage: { storageUri: 'pvc://models/tiny/v2' } } },
    );
    const newJob = await extract('BaseModel', 'tiny', ns, ns);
    assert.notEqual(newJob, oldJob);
    await waitFor(
      async () => {
        const job = await getJob(ns, oldJob);
        return !job || Boolean(job.metadata?.deletionTimestamp);
      },
      30_000,
      'the old Job deleted',
    );
    const ready = await waitForModel('BaseModel', 'tiny', ns, state('Ready'), 'tiny v2', logs);
    assert.notEqual(ready.status?.metadataFingerprint, before?.status?.metadataFingerprint);
    const newPod = (await getJob(ns, newJob))?.spec?.template.spec;
    assert.equal(newPod?.containers[0]?.volumeMounts?.[0]?.subPath, 'tiny/v2');
  });

  it('deletes the metadata Job before the model goes (finalizer)', async () => {
    await admin.create(baseModel('doomed', 'pvc://models/doomed'));
    const jobName = await metadataJobOf('BaseModel', 'doomed', ns, logs);
    await waitFor(() => getJob(ns, jobName), 10_000, 'the Job');
    await admin.delete(types.BaseModel, { name: 'doomed', namespace: ns });
    await waitFor(async () => !(await getModel('BaseModel', 'doomed', ns)), 30_000, 'doomed gone');
    // The finalizer let the model go only after deleting the Job.
    const job = await getJob(ns, jobName);
    assert.ok(!job || job.metadata?.deletionTimestamp, 'the Job is deleted with the model');
  });
});

describe('ClusterBaseModel controller', () => {
  it('inspects a claim of the namespace the URI names', async () => {
    const name = `shared-${ns}`;
    clusterModels.push(name);
    await admin.create({
      apiVersion: 'ome.io/v1beta1',
      kind: 'ClusterBaseModel',
      metadata: { name },
      spec: { storage: { storageUri: `pvc://${ns}:models/shared/tiny` } },
    });
    const jobName = await extract('ClusterBaseModel', name, undefined, ns);
    const job = await getJob(ns, jobName);
    assert.equal(job?.metadata?.ownerReferences?.[0]?.kind, 'ClusterBaseModel');
    assert.equal(
      job?.spec?.template.spec?.containers[0]?.volumeMounts?.[0]?.subPath,
      'shared/tiny',
    );
    const ready = await waitForModel(
      'ClusterBaseModel',
      name,
      undefined,
      state('Ready'),
      name,
      logs,
    );
    assert.equal(ready.spec.modelArchitecture, 'LlamaForCausalLM');
    assert.match(condition(ready, 'SourceReachable')?.message ?? '', new RegExp(`${ns}/models`));
  });
});

describe('InferenceService controller', () => {
  const runtime = (namespace: string) => ({
    apiVersion: 'ome.io/v1beta1',
    kind: 'ServingRuntime',
    metadata: { name: 'tiny-runtime', namespace },
    spec: {
      supportedModelFormats: [
        {
          modelFormat: { name: 'safetensors' },
          modelArchitecture: 'LlamaForCausalLM',
          autoSelect: true,
        },
      ],
      engineConfig: {
        runner: {
          name: 'engine',
          image: 'registry.invalid/tiny-engine:1',
          args: ['--model', '$(MODEL_PATH)'],
          ports: [{ containerPort: 8000, name: 'http' }],
          resources: { requests: { cpu: '100m', memory: '128Mi' } },
        },
      },
    },
  });
  const service = (namespace: string, name: string, model: Record<string, string>) => ({
    apiVersion: 'ome.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name, namespace },
    spec: { model, engine: { minReplicas: 1, maxReplicas: 2 } },
  });

  before(async () => {
    await admin.create(runtime(ns));
    await admin.create(runtime(other));
  });

  it('serves a Ready BaseModel from its claim, read-only, with URL and readiness', async () => {
    await admin.create(service(ns, 'tiny', { name: 'tiny' }));
    const ready = await waitForService(
      ns,
      'tiny',
      (s) => condition(s, 'Ready')?.status === 'True',
      'InferenceService tiny Ready',
      logs,
      60_000,
    );
    assert.equal(ready.status?.url, `http://tiny.${ns}.svc.cluster.local:8000`);
    assert.equal(ready.status?.runtime, 'tiny-runtime');
    assert.match(condition(ready, 'EngineReady')?.message ?? '', /1\/1 replicas ready/);

    const deployment = await getDeployment(ns, 'tiny-engine');
    const pod = deployment?.spec?.template.spec;
    const container = pod?.containers[0];
    assert.deepEqual(
      container?.volumeMounts?.find((m) => m.mountPath === '/opt/ml/model'),
      { name: 'model-pvc', mountPath: '/opt/ml/model', subPath: 'tiny/v2', readOnly: true },
    );
    assert.deepEqual(pod?.volumes?.find((v) => v.name === 'model-pvc')?.persistentVolumeClaim, {
      claimName: 'models',
      readOnly: true,
    });
    assert.deepEqual(
      container?.env?.find((e) => e.name === 'MODEL_PATH'),
      { name: 'MODEL_PATH', value: '/opt/ml/model' },
    );
    assert.equal(deployment?.metadata?.ownerReferences?.[0]?.kind, 'InferenceService');
    const svc = await admin.get<V1Service>(resources.services, 'tiny', ns);
    assert.equal(svc?.spec?.ports?.[0]?.port, 8000);

    // Two replicas at most on a ReadWriteOnce claim: the model says what that means.
    const model = await waitForModel(
      'BaseModel',
      'tiny',
      ns,
      (m) =>
        /ReadWriteOnce: the 2 serving replicas/.test(
          condition(m, 'SourceReachable')?.message ?? '',
        ),
      'access-mode advice on the model',
      logs,
    );
    assert.equal(model.status?.state, 'Ready');
  });

  it('waits for a model that is not Ready, naming why', async () => {
    await admin.create(service(ns, 'early', { name: 'waiting' }));
    const waiting = await waitForService(
      ns,
      'early',
      (s) => condition(s, 'ModelReady')?.reason === 'ModelNotReady',
      'early waits for its model',
      logs,
    );
    assert.match(condition(waiting, 'Ready')?.message ?? '', /In_Transit \(PVCNotBound/);
    assert.equal(await getDeployment(ns, 'early-engine'), undefined);
  });

  it('refuses a ClusterBaseModel whose claim is in another namespace', async () => {
    const name = `shared-${ns}`;
    await admin.create(service(other, 'elsewhere', { name, kind: 'ClusterBaseModel' }));
    const refused = await waitForService(
      other,
      'elsewhere',
      (s) => condition(s, 'ModelReady')?.status === 'False',
      'elsewhere refused',
      logs,
    );
    const model = condition(refused, 'ModelReady');
    assert.equal(model?.reason, 'ModelClaimInOtherNamespace');
    assert.match(model?.message ?? '', new RegExp(`claim models is in namespace ${ns}`));
    assert.equal(condition(refused, 'Ready')?.status, 'False');
    assert.equal(condition(refused, 'Ready')?.reason, 'ModelClaimInOtherNamespace');
    assert.equal(await getDeployment(other, 'elsewhere-engine'), undefined);
  });
});

describe('operator health', () => {
  it('logged no reconcile error in all of the above', () => {
    const errors = operators.flatMap((o) =>
      o.logs.filter((l) => l.msg.startsWith('reconciler error')),
    );
    assert.deepEqual(errors, []);
    for (const o of operators) assert.equal(o.child.exitCode, null);
  });
});
