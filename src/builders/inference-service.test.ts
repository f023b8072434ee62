import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClusterServingRuntime, InferenceService } from '../api/ome.ts';
import { buildServingObjects, mergeRunner } from './inference-service.ts';

const runtime = {
  apiVersion: 'ome.io/v1beta1',
  kind: 'ClusterServingRuntime',
  metadata: { name: 'srt' },
  spec: {
    engineConfig: {
      labels: { team: 'ml' },
      volumes: [{ name: 'dshm', emptyDir: { medium: 'Memory' } }],
      runner: {
        name: 'ome-container',
        image: 'sglang:1',
        ports: [{ containerPort: 8080, name: 'http1' }],
        env: [{ name: 'A', value: 'runtime' }],
        volumeMounts: [{ name: 'dshm', mountPath: '/dev/shm' }],
        readinessProbe: { httpGet: { path: '/health', port: 8080 } },
      },
    },
  },
} as ClusterServingRuntime;

const isvc = (engine: InferenceService['spec']['engine'] = {}): InferenceService => ({
  apiVersion: 'ome.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name: 'qwen', namespace: 'serve', uid: 'u-9' },
  spec: { model: { name: 'qwen' }, engine },
});

describe('buildServingObjects', () => {
  it('mounts the claim read-only at /opt/ml/model with the sub-path and sets MODEL_PATH', () => {
    const { deployment } = buildServingObjects(isvc(), runtime, {
      claimName: 'models',
      subPath: 'qwen/v1',
    });
    const pod = deployment.spec?.template.spec;
    const c = pod?.containers[0];
    assert.deepEqual(pod?.volumes?.at(-1), {
      name: 'model-pvc',
      persistentVolumeClaim: { claimName: 'models', readOnly: true },
    });
    assert.deepEqual(c?.volumeMounts?.at(-1), {
      name: 'model-pvc',
      mountPath: '/opt/ml/model',
      subPath: 'qwen/v1',
      readOnly: true,
    });
    assert.ok(c?.env?.some((e) => e.name === 'MODEL_PATH' && e.value === '/opt/ml/model'));
    assert.equal(pod?.affinity, undefined, 'no model-ready node affinity');
    assert.deepEqual(
      (c as { readinessProbe?: unknown }).readinessProbe,
      { httpGet: { path: '/health', port: 8080 } },
      'runner fields pass through',
    );
  });

  it('keeps a MODEL_PATH the runner sets, applies overrides and replicas', () => {
    const { deployment, service } = buildServingObjects(
      isvc({
        minReplicas: 3,
        runner: {
          image: 'sglang:2',
          env: [
            { name: 'MODEL_PATH', value: '/custom' },
            { name: 'A', value: 'svc' },
          ],
        },
      }),
      runtime,
      { claimName: 'models', subPath: 'q' },
    );
    const c = deployment.spec?.template.spec?.containers[0];
    assert.equal(deployment.spec?.replicas, 3);
    assert.equal(c?.image, 'sglang:2');
    assert.deepEqual(c?.env, [
      { name: 'A', value: 'svc' },
      { name: 'MODEL_PATH', value: '/custom' },
    ]);
    assert.equal(service.spec?.ports?.[0]?.port, 8080);
    assert.deepEqual(service.spec?.selector, deployment.spec?.selector.matchLabels);
    assert.equal(deployment.metadata?.ownerReferences?.[0]?.uid, 'u-9');
  });

  it('makes the serving pod restricted', () => {
    const { deployment } = buildServingObjects(isvc(), runtime, { claimName: 'm', subPath: 'x' });
    const pod = deployment.spec?.template.spec;
    assert.equal(pod?.securityContext?.runAsNonRoot, true);
    assert.deepEqual(pod?.containers[0]?.securityContext?.capabilities?.drop, ['ALL']);
  });

  it('merges runner env by name with the service winning', () => {
    const merged = mergeRunner(
      {
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '1' },
        ],
      },
      { env: [{ name: 'B', value: '2' }] },
    );
    assert.deepEqual(merged.env, [
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
  });
});
