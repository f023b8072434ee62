// From training to a registered model, end to end: the training sample notebook runs with
// `nbv run` (real kernel, sandboxed volumes) and saves a model under its claim's directory; the
// real `nbv model inspect` reads that directory as the metadata Job would; the BaseModel
// controller (`nbv operator` under its generated role) mounts the same claim and sub-path and
// shows that metadata once the Job's pod on the kwok node ends with that termination message.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AnyBaseModel } from '../../src/api/ome.ts';
import type { GitServer } from '../../src/local/git-http-server.ts';
import { parseInspectResult } from '../../src/model/report.ts';
import { runSample, sampleManifest, samplesServer } from '../notebook/helpers.ts';
import { freshNamespace } from './cluster.ts';
import {
  admin,
  boundClaim,
  condition,
  deleteCreatedVolumes,
  finishMetadataJob,
  getJob,
  inspectTermination,
  metadataJobOf,
  waitForModel,
} from './models-env.ts';
import { applyCrds, startOperator, type OperatorProcess } from './operator.ts';

let ns: string;
let operator: OperatorProcess;
let server: GitServer;

before(async () => {
  await applyCrds();
  ns = await freshNamespace('training');
  server = await samplesServer();
  operator = await startOperator({ args: ['--namespace', ns], name: ns, webhook: false });
});

after(async () => {
  await operator?.stop();
  await server?.close();
  await deleteCreatedVolumes();
});

describe('training notebook to BaseModel', () => {
  it('registers the model the training notebook saved, with the metadata inspect found', async () => {
    // 1. Train: the sample mounts claim "trained-models" at /models and saves /models/char-bigram.
    const dir = await mkdtemp(join(tmpdir(), 'nbv-training-'));
    const run = await runSample(await sampleManifest('training', server, dir), 'models-training');
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const saved = join(run.cwd, '.nbv', 'volumes', 'trained-models', 'char-bigram');

    // 2. What the metadata Job's container prints for that directory.
    const termination = await inspectTermination(saved);
    assert.equal(termination.exitCode, 0, termination.message);
    const inspected = parseInspectResult(termination.message);
    assert.ok(inspected.ok, termination.message);

    // 3. The same claim and sub-path in the cluster, registered as a BaseModel.
    await boundClaim(ns, 'trained-models');
    await admin.create({
      apiVersion: 'ome.io/v1beta1',
      kind: 'BaseModel',
      metadata: { name: 'char-bigram', namespace: ns },
      spec: { storage: { storageUri: 'pvc://trained-models/char-bigram' }, vendor: 'nbv-samples' },
    } as AnyBaseModel);
    const describe = () => operator.describe();
    const jobName = await metadataJobOf('BaseModel', 'char-bigram', ns, describe);
    const job = await getJob(ns, jobName);
    const pod = job?.spec?.template.spec;
    assert.equal(pod?.volumes?.[0]?.persistentVolumeClaim?.claimName, 'trained-models');
    assert.equal(pod?.containers[0]?.volumeMounts?.[0]?.subPath, 'char-bigram');
    await finishMetadataJob(ns, jobName, termination);

    const ready = await waitForModel(
      'BaseModel',
      'char-bigram',
      ns,
      (m) => m.status?.state === 'Ready',
      'char-bigram Ready',
      describe,
    );
    const m = inspected.metadata;
    assert.equal(ready.spec.modelType, 'llama');
    assert.equal(ready.spec.modelArchitecture, 'LlamaForCausalLM');
    assert.equal(ready.spec.maxTokens, 256, 'max_position_embeddings of the trained config');
    assert.equal(ready.spec.modelParameterSize, m.modelParameterSize);
    assert.equal(ready.spec.modelFormat?.name, 'safetensors');
    assert.equal(ready.spec.modelFramework?.name, 'transformers');
    assert.deepEqual(ready.spec.modelCapabilities, ['TEXT_TO_TEXT']);
    assert.equal(ready.spec.vendor, 'nbv-samples');
    assert.match(condition(ready, 'MetadataExtracted')?.message ?? '', /from config\.json/);
  });
});
