// Every pod nbv creates passes the `restricted` Pod Security Standard: the real apiserver's
// Pod Security admission judges the validation Pod, the metadata Job's pod and the serving pod.
// Admission enforces on Pods only, so each pod template is submitted as a Pod (server dry run).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import type { V1Pod, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { NotebookValidationJob } from '../../src/api/notebookvalidationjob.ts';
import type { AnyBaseModel, ClusterServingRuntime, InferenceService } from '../../src/api/ome.ts';
import { DEFAULT_IMAGES } from '../../src/builders/images.ts';
import { buildServingObjects } from '../../src/builders/inference-service.ts';
import {
  DEFAULT_METADATA_JOB_SETTINGS,
  buildMetadataJob,
} from '../../src/builders/metadata-job.ts';
import { buildValidationPod } from '../../src/builders/validation-pod.ts';
import { toYaml } from '../../src/util/yaml.ts';
import { admit } from '../../src/validation/admission.ts';
import { KubectlError, freshNamespace, kubectl } from './cluster.ts';
import { parseStream } from './install-streams.ts';

function admitted<T>(raw: unknown): T {
  const outcome = admit(raw);
  assert.ok(outcome.object, JSON.stringify(outcome.problems));
  return outcome.object as T;
}

function firstOfKind(path: string, kind: string): unknown {
  return parseStream(readFileSync(path, 'utf8')).find((o) => o.kind === kind);
}

function podFromTemplate(name: string, template: V1PodTemplateSpec | undefined): V1Pod {
  assert.ok(template?.spec);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: template.metadata?.labels },
    spec: template.spec,
  };
}

function dryRunCreate(namespace: string, pod: V1Pod): Promise<string> {
  return kubectl(['create', '--dry-run=server', '-n', namespace, '-f', '-'], toYaml(pod));
}

describe('pods nbv creates under restricted Pod Security', () => {
  let namespace: string;
  before(async () => {
    namespace = await freshNamespace('restricted-pods');
  });

  it('admits the validation pod of the volumes sample', async () => {
    const sample =
      '../shared/reference/nvj-operator/samples/mlops_v1alpha1_notebookvalidationjob_volumes.yaml';
    const job = admitted<NotebookValidationJob>(firstOfKind(sample, 'NotebookValidationJob'));
    const pod = buildValidationPod(
      { ...job, metadata: { ...job.metadata, namespace } },
      { images: DEFAULT_IMAGES, attempt: 1 },
    );
    assert.match(await dryRunCreate(namespace, pod), /created \(server dry run\)/);
  });

  it('admits the metadata Job pod', async () => {
    const model = admitted<AnyBaseModel>({
      apiVersion: 'ome.io/v1beta1',
      kind: 'BaseModel',
      metadata: { name: 'tiny', namespace },
      spec: { storage: { storageUri: 'pvc://models/tiny/v1' } },
    });
    const job = buildMetadataJob(model, { claimName: 'models', subPath: 'tiny/v1' }, namespace, {
      images: DEFAULT_IMAGES,
      ...DEFAULT_METADATA_JOB_SETTINGS,
    });
    assert.match(
      await dryRunCreate(namespace, podFromTemplate('metadata', job.spec?.template)),
      /created \(server dry run\)/,
    );
  });

  it('admits the serving pod made from the OME sample runtime', async () => {
    const runtime = admitted<ClusterServingRuntime>(
      firstOfKind(
        '../shared/reference/ome/samples/clusterservingruntime-qwen2-5-3b-instruct.yaml',
        'ClusterServingRuntime',
      ),
    );
    const isvc = admitted<InferenceService>({
      apiVersion: 'ome.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'qwen', namespace },
      spec: { model: { name: 'qwen' } },
    });
    const { deployment } = buildServingObjects(isvc, runtime, {
      claimName: 'models',
      subPath: 'qwen',
    });
    assert.match(
      await dryRunCreate(namespace, podFromTemplate('engine', deployment.spec?.template)),
      /created \(server dry run\)/,
    );
  });

  it('rejects a pod without the restricted settings (the check can fail)', async () => {
    const pod: V1Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'plain' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    };
    await assert.rejects(
      dryRunCreate(namespace, pod),
      (err: unknown) =>
        err instanceof KubectlError && /violates PodSecurity "restricted/.test(err.stderr),
    );
  });
});
