import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnyBaseModel } from '../api/ome.ts';
import { DEFAULT_IMAGES } from './images.ts';
import {
  DEFAULT_METADATA_JOB_SETTINGS,
  buildMetadataJob,
  metadataJobName,
  storageFingerprint,
} from './metadata-job.ts';

const model = (kind: 'BaseModel' | 'ClusterBaseModel', name = 'llama'): AnyBaseModel =>
  ({
    apiVersion: 'ome.io/v1beta1',
    kind,
    metadata: { name, uid: 'u-1', ...(kind === 'BaseModel' ? { namespace: 'team' } : {}) },
    spec: { storage: { storageUri: 'pvc://models/llama/v1' } },
  }) as AnyBaseModel;
const settings = { images: DEFAULT_IMAGES, ...DEFAULT_METADATA_JOB_SETTINGS };
/** The Job of a BaseModel in namespace team on claim models. */
const teamJob = (subPath: string) =>
  buildMetadataJob(model('BaseModel'), { claimName: 'models', subPath }, 'team', settings);

describe('buildMetadataJob', () => {
  it('mounts the claim read-only at /model with the sub-path and needs no API token', () => {
    const job = teamJob('llama/v1');
    const pod = job.spec?.template.spec;
    assert.equal(job.metadata?.namespace, 'team');
    assert.equal(pod?.automountServiceAccountToken, false);
    assert.deepEqual(pod?.volumes, [
      { name: 'model', persistentVolumeClaim: { claimName: 'models', readOnly: true } },
    ]);
    assert.deepEqual(pod?.containers[0]?.volumeMounts, [
      { name: 'model', mountPath: '/model', subPath: 'llama/v1', readOnly: true },
    ]);
    assert.deepEqual(pod?.containers[0]?.args, [
      'model',
      'inspect',
      '/model',
      '--termination-message',
      '/dev/termination-log',
    ]);
    assert.equal(pod?.containers[0]?.securityContext?.allowPrivilegeEscalation, false);
    assert.equal(pod?.securityContext?.runAsNonRoot, true);
  });

  it('sets backoff, deadline, TTL and the owner reference', () => {
    const job = buildMetadataJob(
      model('ClusterBaseModel'),
      { namespace: 'store', claimName: 'models', subPath: 'm' },
      'store',
      settings,
    );
    assert.equal(job.spec?.backoffLimit, 2);
    assert.equal(job.spec?.activeDeadlineSeconds, 600);
    assert.equal(job.spec?.ttlSecondsAfterFinished, 3600);
    assert.equal(job.metadata?.namespace, 'store');
    assert.equal(job.metadata?.ownerReferences?.[0]?.kind, 'ClusterBaseModel');
  });

  it('fails the Job at once when the directory is not a model, instead of retrying', () => {
    const job = teamJob('');
    assert.deepEqual(job.spec?.podFailurePolicy?.rules, [
      {
        action: 'FailJob',
        onExitCodes: { containerName: 'inspect', operator: 'In', values: [1] },
      },
    ]);
    assert.equal(job.spec?.template.spec?.restartPolicy, 'Never', 'podFailurePolicy needs Never');
  });

  it('names the Job from the model and a hash of what it inspects', () => {
    const a = storageFingerprint({ claimName: 'models', subPath: 'a' }, 'ns');
    const b = storageFingerprint({ claimName: 'models', subPath: 'b' }, 'ns');
    assert.notEqual(a, b);
    assert.equal(metadataJobName('llama', a), `metadata-llama-${a}`);
    const long = metadataJobName('m'.repeat(100), a);
    assert.ok(long.length <= 63 && long.endsWith(a), long);
  });
});
