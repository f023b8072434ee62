// Shared by the model controller tests: claims bound to PersistentVolumes by the real PV binder,
// model directories inspected by the real `nbv model inspect` (its termination message is what
// the metadata Job's pod is finished with on the kwok node), and reads as admin.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  V1Deployment,
  V1Job,
  V1PersistentVolume,
  V1PersistentVolumeClaim,
  V1Pod,
} from '@kubernetes/client-node';
import type { AnyBaseModel, InferenceService } from '../../src/api/ome.ts';
import { TINY_LLAMA_CONFIG, writeSafetensors } from '../../src/model/fixtures.ts';
import {
  KubeClient,
  resourceType,
  resources,
  type KubeObject,
  type ResourceType,
} from '../../src/runtime/index.ts';
import { findResource } from '../../src/api/resources.ts';
import { completePod, kubeConfig, waitFor } from './cluster.ts';

const REPO = join(import.meta.dirname, '..', '..');

export const admin = new KubeClient(kubeConfig());

function typeOf(kind: string): ResourceType {
  const definition = findResource(kind);
  if (!definition) throw new Error(`no ${kind}`);
  return resourceType(definition);
}

export const types = {
  BaseModel: typeOf('BaseModel'),
  ClusterBaseModel: typeOf('ClusterBaseModel'),
  InferenceService: typeOf('InferenceService'),
  ServingRuntime: typeOf('ServingRuntime'),
  persistentVolumes: {
    group: '',
    version: 'v1',
    kind: 'PersistentVolume',
    plural: 'persistentvolumes',
    namespaced: false,
  } satisfies ResourceType,
};

/** A small Llama-style model directory: config.json, tokenizer.json and real safetensors headers. */
export async function writeTinyModel(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(TINY_LLAMA_CONFIG, null, 2));
  await writeFile(join(dir, 'tokenizer.json'), '{}');
  await writeSafetensors(join(dir, 'model.safetensors'), [
    { name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [1000, 64] },
    { name: 'model.layers.0.self_attn.q_proj.weight', dtype: 'BF16', shape: [64, 64] },
    { name: 'lm_head.weight', dtype: 'BF16', shape: [1000, 64] },
  ]);
  return dir;
}

/**
 * What the metadata Job's container writes: the real `nbv model inspect DIR --termination-message
 * FILE`, run as the CLI process, with its exit code.
 */
export function inspectTermination(dir: string): Promise<{ exitCode: number; message: string }> {
  const file = join(dir, '..', `${dir.split('/').pop() ?? 'model'}.termination-log`);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(REPO, 'bin', 'nbv.js'), 'model', 'inspect', dir, '--termination-message', file],
      (err) => {
        const exitCode = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        readFile(file, 'utf8').then((message) => resolve({ exitCode, message }), reject);
      },
    );
  });
}

const createdVolumes: string[] = [];

/**
 * A claim bound by kube-controller-manager's PV binder to a PV made for it (pre-bound through
 * claimRef, so that no other test's claim takes it). Nothing mounts it on kwok's node.
 */
export async function boundClaim(
  namespace: string,
  name: string,
  accessModes: string[] = ['ReadOnlyMany'],
): Promise<void> {
  const volume = `${namespace}-${name}`;
  const pv: V1PersistentVolume = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: volume },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes,
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: '',
      claimRef: { namespace, name },
      nfs: { server: 'nfs.invalid', path: `/exports/${volume}` },
    },
  };
  await admin.create(pv, { tolerateExisting: true });
  createdVolumes.push(volume);
  await createClaim(namespace, name, accessModes, '');
}

export async function createClaim(
  namespace: string,
  name: string,
  accessModes: string[],
  storageClassName: string,
): Promise<void> {
  const pvc: V1PersistentVolumeClaim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace },
    spec: { accessModes, storageClassName, resources: { requests: { storage: '1Gi' } } },
  };
  await admin.create(pvc);
}

export async function deleteCreatedVolumes(): Promise<void> {
  for (const name of createdVolumes.splice(0)) {
    await admin.delete(types.persistentVolumes, { name });
  }
}

export function getModel(
  kind: 'BaseModel' | 'ClusterBaseModel',
  name: string,
  namespace?: string,
): Promise<AnyBaseModel | undefined> {
  return admin.get<AnyBaseModel>(types[kind], name, namespace);
}

/** Waits until `read()` gives an object that satisfies `test`; the message has its last status. */
async function waitForObject<T extends { status?: unknown }>(
  read: () => Promise<T | undefined>,
  test: (o: T) => boolean,
  what: string,
  describe: () => string,
  timeoutMs: number,
): Promise<T> {
  let last: T | undefined;
  try {
    return await waitFor(
      async () => {
        last = await read();
        return last && test(last) ? last : undefined;
      },
      timeoutMs,
      what,
    );
  } catch (err) {
    throw new Error(
      `${(err as Error).message}\nlast status: ${JSON.stringify(last?.status)}\n${describe()}`,
      { cause: err },
    );
  }
}

/** Waits until the model satisfies `test`; the message carries its last status. */
export function waitForModel(
  kind: 'BaseModel' | 'ClusterBaseModel',
  name: string,
  namespace: string | undefined,
  test: (m: AnyBaseModel) => boolean,
  what: string,
  describe: () => string = () => '',
  timeoutMs = 60_000,
): Promise<AnyBaseModel> {
  const read = () => getModel(kind, name, namespace);
  return waitForObject(read, test, what, describe, timeoutMs);
}

/** Waits until the model is Importing with its metadata Job named, and returns the Job's name. */
export async function metadataJobOf(
  kind: 'BaseModel' | 'ClusterBaseModel',
  name: string,
  namespace: string | undefined,
  describe: () => string = () => '',
): Promise<string> {
  const importing = await waitForModel(
    kind,
    name,
    namespace,
    (m) => m.status?.state === 'Importing' && Boolean(m.status.metadataJobName),
    `${name} Importing`,
    describe,
  );
  return importing.status?.metadataJobName ?? '';
}

export function condition(obj: { status?: { conditions?: { type: string }[] } }, type: string) {
  return obj.status?.conditions?.find((c) => c.type === type) as
    { type: string; status: string; reason: string; message: string } | undefined;
}

export function getJob(namespace: string, name: string): Promise<V1Job | undefined> {
  return admin.get<V1Job>(resources.jobs, name, namespace);
}

/** Finishes the metadata Job's pod as the inspect container would have ended. */
export async function finishMetadataJob(
  namespace: string,
  job: string,
  result: { exitCode: number; message: string },
): Promise<V1Pod> {
  const pod = await waitFor(
    async () => {
      const pods = await admin.list<V1Pod>(resources.pods, {
        namespace,
        labelSelector: `batch.kubernetes.io/job-name=${job}`,
      });
      return pods.items.find((p) => p.status?.phase === 'Running');
    },
    30_000,
    `a running pod of Job ${namespace}/${job}`,
  );
  await completePod(namespace, pod.metadata?.name ?? '', { inspect: result });
  return pod;
}

export function getService(namespace: string, name: string): Promise<InferenceService | undefined> {
  return admin.get<InferenceService>(types.InferenceService, name, namespace);
}

/** Waits until the InferenceService satisfies `test`; the message carries its last status. */
export function waitForService(
  namespace: string,
  name: string,
  test: (s: InferenceService) => boolean,
  what: string,
  describe: () => string = () => '',
  timeoutMs = 30_000,
): Promise<InferenceService> {
  const read = () => getService(namespace, name);
  return waitForObject(read, test, what, describe, timeoutMs);
}

export function getDeployment(namespace: string, name: string): Promise<V1Deployment | undefined> {
  return admin.get<V1Deployment>(resources.deployments, name, namespace);
}

/** Events.k8s.io Events about an object, by reason. */
export async function eventReasons(namespace: string, name: string): Promise<string[]> {
  const events = await admin.list<KubeObject & { reason?: string; regarding?: { name?: string } }>(
    resources.events,
    { namespace },
  );
  return events.items.filter((e) => e.regarding?.name === name).map((e) => e.reason ?? '');
}
