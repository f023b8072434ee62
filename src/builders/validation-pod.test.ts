import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { NotebookValidationJob } from '../api/notebookvalidationjob.ts';
import { admit } from '../validation/admission.ts';
import { DEFAULT_IMAGES } from './images.ts';
import { buildValidationPod, validationPodName } from './validation-pod.ts';

function admitted(
  spec: Record<string, unknown>,
  podConfig: Record<string, unknown> = {},
): NotebookValidationJob {
  const outcome = admit({
    apiVersion: 'mlops.mlops.dev/v1alpha1',
    kind: 'NotebookValidationJob',
    metadata: { name: 'train', namespace: 'team-a', uid: 'uid-1' },
    spec: {
      notebook: {
        git: { url: 'https://example.com/r.git', ref: 'main' },
        path: 'nb/train.ipynb',
        parameters: { epochs: 3, lr: 0.1, tags: ['a'] },
      },
      podConfig: { containerImage: 'quay.io/jupyter/scipy-notebook:2025-01-01', ...podConfig },
      timeout: '1h30m',
      ...spec,
    },
  });
  assert.ok(outcome.object, JSON.stringify(outcome.problems));
  return outcome.object as NotebookValidationJob;
}

const build = (job: NotebookValidationJob, attempt = 1): V1Pod =>
  buildValidationPod(job, { images: DEFAULT_IMAGES, attempt });
const container = (pod: V1Pod, name: string): V1Container => {
  const found = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
    (c) => c.name === name,
  );
  assert.ok(found, `no container ${name}`);
  return found;
};
const envOf = (c: V1Container) =>
  Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));

describe('buildValidationPod', () => {
  it('runs the steps in order: clone, execute, then report', () => {
    const pod = build(admitted({}));
    assert.deepEqual(
      pod.spec?.initContainers?.map((c) => c.name),
      ['git-clone', 'execute'],
    );
    assert.deepEqual(
      pod.spec?.containers.map((c) => c.name),
      ['report'],
    );
    assert.equal(pod.spec?.restartPolicy, 'Never');
  });

  it('adds the golden clone when there is a golden notebook', () => {
    const pod = build(
      admitted({
        goldenNotebook: {
          git: { url: 'https://example.com/g.git', ref: 'v1' },
          path: 'golden/train.ipynb',
        },
      }),
    );
    assert.deepEqual(
      pod.spec?.initContainers?.map((c) => c.name),
      ['git-clone', 'golden-git-clone', 'execute'],
    );
    assert.equal(envOf(container(pod, 'golden-git-clone')).NBV_GIT_REF, 'v1');
    assert.match(
      envOf(container(pod, 'report')).NBV_REPORT_CONFIG as string,
      /"goldenPath":"\/workspace\/golden\/golden\/train.ipynb"/,
    );
  });

  it('is deterministic and names one pod per attempt', () => {
    const job = admitted({});
    assert.deepEqual(build(job, 2), build(job, 2));
    assert.equal(build(job, 1).metadata?.name, 'train-validation-1');
    assert.equal(build(job, 2).metadata?.name, 'train-validation-2');
    const long = validationPodName('x'.repeat(80), 12);
    assert.ok(long.length <= 63 && long.endsWith('-validation-12'), long);
  });

  it('sets the deadline from spec.timeout, labels and the owner reference', () => {
    const pod = build(admitted({}));
    assert.equal(pod.spec?.activeDeadlineSeconds, 5400);
    assert.equal(pod.metadata?.namespace, 'team-a');
    assert.equal(pod.metadata?.labels?.['mlops.dev/notebookvalidationjob'], 'train');
    assert.deepEqual(pod.metadata?.ownerReferences, [
      {
        apiVersion: 'mlops.mlops.dev/v1alpha1',
        kind: 'NotebookValidationJob',
        name: 'train',
        uid: 'uid-1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it('passes parameters and the notebook path only through the environment', () => {
    const execute = container(build(admitted({})), 'execute');
    const env = envOf(execute);
    assert.equal(env.NBV_NOTEBOOK, 'nb/train.ipynb');
    assert.deepEqual(JSON.parse(env.NBV_PARAMETERS as string), { epochs: 3, lr: 0.1, tags: ['a'] });
    assert.ok(!execute.command?.join(' ').includes('train.ipynb'));
  });

  it('mounts the user volumes, converted to core/v1, only in execute', () => {
    const pod = build(
      admitted(
        {},
        {
          volumes: [
            { name: 'models', persistentVolumeClaim: { claimName: 'trained', readOnly: false } },
            {
              name: 'cfg',
              configMap: { name: 'cfg', items: [{ key: 'a', path: 'a.yaml' }], defaultMode: 0o644 },
            },
            { name: 'certs', secret: { secretName: 'certs', optional: true } },
            { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
          ],
          volumeMounts: [
            { name: 'models', mountPath: '/models', subPath: 'v1' },
            { name: 'cfg', mountPath: '/config', readOnly: true },
            { name: 'certs', mountPath: '/certs', readOnly: true },
            { name: 'scratch', mountPath: '/tmp/scratch' },
          ],
        },
      ),
    );
    assert.deepEqual(pod.spec?.volumes?.slice(1), [
      { name: 'models', persistentVolumeClaim: { claimName: 'trained', readOnly: false } },
      {
        name: 'cfg',
        configMap: { name: 'cfg', items: [{ key: 'a', path: 'a.yaml' }], defaultMode: 0o644 },
      },
      { name: 'certs', secret: { secretName: 'certs', optional: true } },
      { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
    ]);
    assert.deepEqual(container(pod, 'execute').volumeMounts?.slice(1), [
      { name: 'models', mountPath: '/models', subPath: 'v1' },
      { name: 'cfg', mountPath: '/config', readOnly: true },
      { name: 'certs', mountPath: '/certs', readOnly: true },
      { name: 'scratch', mountPath: '/tmp/scratch' },
    ]);
    for (const name of ['git-clone', 'report']) {
      assert.deepEqual(
        container(pod, name).volumeMounts?.map((m) => m.name),
        ['workspace'],
      );
    }
  });

  it('gives every container the restricted security context', () => {
    const pod = build(
      admitted({
        goldenNotebook: { git: { url: 'https://example.com/g.git', ref: 'v1' }, path: 'g.ipynb' },
      }),
    );
    assert.equal(pod.spec?.securityContext?.runAsNonRoot, true);
    assert.equal(pod.spec?.securityContext?.seccompProfile?.type, 'RuntimeDefault');
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      assert.equal(c.securityContext?.runAsNonRoot, true, c.name);
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false, c.name);
      assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], c.name);
      assert.equal(c.securityContext?.seccompProfile?.type, 'RuntimeDefault', c.name);
    }
    assert.ok(!JSON.stringify(pod).includes('hostPath'));
  });

  it('takes git credentials by reference, never as literals', () => {
    const pod = build(
      admitted({
        notebook: {
          git: { url: 'https://example.com/r.git', ref: 'main', credentialsSecret: 'git-creds' },
          path: 'a.ipynb',
        },
      }),
    );
    const clone = container(pod, 'git-clone');
    const password = clone.env?.find((e) => e.name === 'GIT_PASSWORD');
    assert.deepEqual(password?.valueFrom?.secretKeyRef, {
      name: 'git-creds',
      key: 'password',
      optional: true,
    });
    assert.equal(password?.value, undefined);
    assert.deepEqual(
      pod.spec?.volumes?.find((v) => v.name === 'git-credentials')?.secret?.secretName,
      'git-creds',
    );
    assert.ok(clone.volumeMounts?.some((m) => m.name === 'git-credentials' && m.readOnly));
  });

  it('applies the user image, resources, env, envFrom, credentials and scheduling to execute', () => {
    const pod = build(
      admitted(
        {},
        {
          resources: { requests: { cpu: '2', memory: '4Gi' }, limits: { 'nvidia.com/gpu': '1' } },
          env: [{ name: 'MODE', value: 'fast' }],
          credentials: ['aws'],
          serviceAccountName: 'trainer',
          nodeSelector: { gpu: 'true' },
          tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }],
        },
      ),
    );
    const execute = container(pod, 'execute');
    assert.equal(execute.image, 'quay.io/jupyter/scipy-notebook:2025-01-01');
    assert.deepEqual(execute.resources, {
      requests: { cpu: '2', memory: '4Gi' },
      limits: { 'nvidia.com/gpu': '1' },
    });
    assert.equal(envOf(execute).MODE, 'fast');
    assert.deepEqual(execute.envFrom, [{ secretRef: { name: 'aws' } }]);
    assert.equal(pod.spec?.serviceAccountName, 'trainer');
    assert.equal(
      pod.spec?.automountServiceAccountToken,
      undefined,
      'a named account keeps its token',
    );
    assert.deepEqual(pod.spec?.nodeSelector, { gpu: 'true' });
    assert.equal(pod.spec?.tolerations?.[0]?.key, 'gpu');
    assert.equal(container(pod, 'report').envFrom, undefined, 'user env stays in execute');
  });

  it('leaves out owner references while the job has no uid', () => {
    const job = admitted({});
    const pod = build({ ...job, metadata: { ...job.metadata, uid: undefined } });
    assert.equal(pod.metadata?.ownerReferences, undefined);
  });
});
