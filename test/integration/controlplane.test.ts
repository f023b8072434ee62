// What the local control plane must show: it is real Kubernetes, with the behaviour nbv relies
// on (schema validation, controllers, scheduling, Pod Security, RBAC), not a fake.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import {
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  VersionApi,
  type V1Job,
  type V1Pod,
  type V1PodSpec,
} from '@kubernetes/client-node';
import { pinnedVersions } from '../../src/dev/controlplane/index.ts';
import { toYaml } from '../../src/util/yaml.ts';
import {
  KWOK_NODE_NAME,
  RESTRICTED_POD_SECURITY,
  completePod,
  freshNamespace,
  grant,
  kubeConfig,
  kubectl,
  listPods,
  restrictedContainer,
  serviceAccountToken,
  waitFor,
} from './cluster.ts';
import { parseStream } from './install-streams.ts';

const repo = resolve(import.meta.dirname, '../..');
const samplesDir = resolve(repo, '../shared/reference/nvj-operator/samples');
const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const batch = kc.makeApiClient(BatchV1Api);

function statusCode(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

async function gone(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return false;
  } catch (err) {
    if (statusCode(err) === 404) return true;
    throw err;
  }
}

function restrictedSpec(spec: Partial<V1PodSpec> = {}): V1PodSpec {
  return {
    restartPolicy: 'Never',
    securityContext: RESTRICTED_POD_SECURITY,
    containers: [restrictedContainer('main')],
    ...spec,
  };
}

function restrictedPod(name: string, spec: Partial<V1PodSpec> = {}): V1Pod {
  return { metadata: { name }, spec: restrictedSpec(spec) };
}

/** Reads the (first) pod of a Job. */
const jobPod = (namespace: string, job: string) => async (): Promise<V1Pod | undefined> =>
  (await listPods(namespace, `batch.kubernetes.io/job-name=${job}`))[0];

/** Reads a pod by name. */
const namedPod = (namespace: string, name: string) => (): Promise<V1Pod> =>
  core.readNamespacedPod({ name, namespace });

const inPhase = (phase: string) => (pod: V1Pod) => pod.status?.phase === phase;

/** Waits until the pod `read` returns passes `test`, and returns it. */
function podWhen(
  read: () => Promise<V1Pod | undefined>,
  test: (pod: V1Pod) => unknown,
  what: string,
): Promise<V1Pod> {
  return waitFor(
    async () => {
      const pod = await read();
      return pod && test(pod) ? pod : undefined;
    },
    30_000,
    what,
  );
}

/** The documents of a YAML file. */
const documents = (path: string) => parseStream(readFileSync(path, 'utf8'));

function crdNames(path: string): string[] {
  return documents(path)
    .filter((doc) => doc.kind === 'CustomResourceDefinition')
    .map((doc) => doc.metadata.name);
}

function jobCondition(job: V1Job, type: string): boolean {
  return Boolean(job.status?.conditions?.some((c) => c.type === type && c.status === 'True'));
}

describe('local control plane', () => {
  it('reports the pinned Kubernetes version', async (t) => {
    const version = await kc.makeApiClient(VersionApi).getCode();
    t.diagnostic(
      `server version ${version.gitVersion} (${version.goVersion}, built ${version.buildDate})`,
    );
    assert.equal(version.gitVersion, pinnedVersions().kubernetes);
    assert.equal(`v${version.major}.${version.minor}.`, version.gitVersion.replace(/\d+$/, ''));
  });

  it('establishes every generated CRD; accepts every reference NotebookValidationJob sample and config/samples', async (t) => {
    const crdDir = join(repo, 'config/crd');
    const crds = (existsSync(crdDir) ? readdirSync(crdDir) : [])
      .filter((file) => /\.ya?ml$/.test(file))
      .map((file) => ({ file: join(crdDir, file), names: crdNames(join(crdDir, file)) }))
      .filter(({ names }) => names.length > 0);
    assert.ok(crds.length > 0, `no CustomResourceDefinition in ${crdDir}: generate them first`);
    // Server-side apply through kubectl: the typed client would drop enum/default/x-kubernetes-*.
    await kubectl([
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=nbv-test',
      ...crds.flatMap(({ file }) => ['-f', file]),
    ]);

    const apiext = kc.makeApiClient(ApiextensionsV1Api);
    for (const name of crds.flatMap(({ names }) => names)) {
      const crd = await waitFor(
        async () => {
          const crd = await apiext.readCustomResourceDefinition({ name });
          const established = crd.status?.conditions?.some(
            (c) => c.type === 'Established' && c.status === 'True',
          );
          return established ? crd : undefined;
        },
        30_000,
        `CRD ${name} Established`,
      );
      const nonStructural = crd.status?.conditions?.find((c) => c.type === 'NonStructuralSchema');
      assert.equal(nonStructural, undefined, `${name}: ${nonStructural?.message}`);
      t.diagnostic(`${name} Established`);
    }

    const namespace = await freshNamespace('nvj-samples');
    const sampleFiles = readdirSync(samplesDir).filter((f) => f.endsWith('.yaml'));
    let created = 0;
    for (const file of sampleFiles) {
      const docs = documents(join(samplesDir, file)).filter(
        (d) => d.kind === 'NotebookValidationJob',
      );
      for (const doc of docs) {
        await t.test(`${file}: ${doc.metadata?.name}`, async () => {
          // Samples name their own namespaces (mlops, team-a, ...); all go into the test's.
          delete doc.metadata?.namespace;
          await kubectl(
            ['create', '--validate=strict', '-n', namespace, '-f', '-'],
            // nbv's own YAML writer, so kubectl's YAML 1.1 reading of it is tested too.
            toYaml(doc),
          );
          created++;
        });
      }
    }
    assert.ok(created > 0, `no NotebookValidationJob samples in ${samplesDir}`);

    // nbv's own samples, every kind, as a reader applies them: the generated schemas accept them
    // too, not only nbv's admission (`nbv validate` in test/unit/docs.test.ts).
    const ownDir = join(repo, 'config/samples');
    const own = readdirSync(ownDir)
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => documents(join(ownDir, f)));
    const dryRun = await kubectl([
      'create',
      '--dry-run=server',
      '--validate=strict',
      '-n',
      namespace,
      '-f',
      ownDir,
    ]);
    const accepted = dryRun.split('\n').filter((l) => l.endsWith('created (server dry run)'));
    assert.equal(accepted.length, own.length, dryRun);
  });

  it('binds a PVC to a pre-created PV (static binding)', async () => {
    const namespace = await freshNamespace('pvc');
    // A storage class of its own, so that no other test's PV can be the match.
    const storageClassName = `static-${namespace}`;
    const pvName = `pv-${namespace}`;
    await core.createPersistentVolume({
      body: {
        metadata: { name: pvName },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          storageClassName,
          persistentVolumeReclaimPolicy: 'Retain',
          hostPath: { path: `/tmp/${pvName}` },
        },
      },
    });
    await core.createNamespacedPersistentVolumeClaim({
      namespace,
      body: {
        metadata: { name: 'models' },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName,
          resources: { requests: { storage: '1Gi' } },
        },
      },
    });
    const claim = await waitFor(
      async () => {
        const pvc = await core.readNamespacedPersistentVolumeClaim({ name: 'models', namespace });
        return pvc.status?.phase === 'Bound' ? pvc : undefined;
      },
      30_000,
      'PVC Bound',
    );
    assert.equal(claim.spec?.volumeName, pvName);
    const pv = await core.readPersistentVolume({ name: pvName });
    assert.equal(pv.spec?.claimRef?.name, 'models');
    assert.equal(pv.spec?.claimRef?.namespace, namespace);
    await waitFor(
      async () => (await core.readPersistentVolume({ name: pvName })).status?.phase === 'Bound',
      30_000,
      'PV Bound',
    );
    await core.deleteNamespacedPersistentVolumeClaim({ name: 'models', namespace });
    await core.deletePersistentVolume({ name: pvName });
  });

  it('runs a Job pod on the kwok node and completes it as the test says', async () => {
    const namespace = await freshNamespace('job');
    await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name: 'inspect' },
        spec: { backoffLimit: 0, template: { spec: restrictedSpec() } },
      },
    });
    const running = await podWhen(
      jobPod(namespace, 'inspect'),
      inPhase('Running'),
      'Job pod Running',
    );
    assert.equal(running.spec?.nodeName, KWOK_NODE_NAME, 'bound by the scheduler to the kwok node');
    assert.ok(running.status?.containerStatuses?.[0]?.state?.running);

    const summary = '{"model":"llama","parameters":6738415616}';
    await completePod(namespace, running.metadata!.name!, {
      main: { exitCode: 0, message: summary },
    });
    const done = await podWhen(jobPod(namespace, 'inspect'), inPhase('Succeeded'), 'pod Succeeded');
    const terminated = done.status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(terminated?.exitCode, 0);
    assert.equal(terminated?.message, summary);
    await waitFor(
      async () =>
        jobCondition(await batch.readNamespacedJob({ name: 'inspect', namespace }), 'Complete'),
      30_000,
      'Job Complete',
    );
  });

  it('fails a Job whose container exits non-zero, with init containers run in order', async () => {
    const namespace = await freshNamespace('job-fail');
    await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name: 'validate' },
        spec: {
          backoffLimit: 0,
          template: {
            spec: restrictedSpec({
              initContainers: [restrictedContainer('git-clone')],
              containers: [restrictedContainer('report')],
            }),
          },
        },
      },
    });
    const initializing = await podWhen(
      jobPod(namespace, 'validate'),
      (pod) => pod.status?.initContainerStatuses?.[0]?.state?.running,
      'init container running',
    );
    assert.equal(initializing.status?.phase, 'Pending');
    assert.equal(
      initializing.status?.containerStatuses?.[0]?.state?.waiting?.reason,
      'PodInitializing',
    );

    await completePod(namespace, initializing.metadata!.name!, {
      'git-clone': { exitCode: 0 },
      report: { exitCode: 3, message: 'cell 2 raised ZeroDivisionError' },
    });
    const failed = await podWhen(jobPod(namespace, 'validate'), inPhase('Failed'), 'pod Failed');
    const clone = failed.status?.initContainerStatuses?.[0]?.state?.terminated;
    assert.equal(clone?.exitCode, 0);
    assert.equal(clone?.reason, 'Completed');
    const report = failed.status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(report?.exitCode, 3);
    assert.equal(report?.reason, 'Error');
    assert.equal(report?.message, 'cell 2 raised ZeroDivisionError');
    await waitFor(
      async () =>
        jobCondition(await batch.readNamespacedJob({ name: 'validate', namespace }), 'Failed'),
      30_000,
      'Job Failed',
    );
  });

  it('stops a pod at its first failing init container', async () => {
    const namespace = await freshNamespace('init-fail');
    const pod = restrictedPod('clone-fails', {
      initContainers: [restrictedContainer('git-clone'), restrictedContainer('execute')],
      containers: [restrictedContainer('report')],
    });
    await core.createNamespacedPod({ namespace, body: pod });
    const read = namedPod(namespace, 'clone-fails');
    await podWhen(read, (p) => p.status?.podIP, 'pod started');
    await completePod(namespace, 'clone-fails', {
      'git-clone': { exitCode: 128, message: 'fatal: repository not found' },
    });
    const failed = await podWhen(read, inPhase('Failed'), 'pod Failed');
    const [clone, execute] = failed.status?.initContainerStatuses ?? [];
    assert.equal(clone?.state?.terminated?.exitCode, 128);
    assert.equal(clone?.state?.terminated?.message, 'fatal: repository not found');
    assert.equal(execute?.state?.waiting?.reason, 'PodInitializing');
    assert.equal(failed.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
  });

  it('rolls out a Deployment whose pods become Ready on the kwok node', async () => {
    const namespace = await freshNamespace('deploy');
    const labels = { app: 'serving' };
    const apps = kc.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'serving' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: restrictedSpec({ restartPolicy: 'Always' }) },
        },
      },
    });
    await waitFor(
      async () =>
        (await apps.readNamespacedDeployment({ name: 'serving', namespace })).status
          ?.availableReplicas === 2,
      30_000,
      'two available replicas',
    );
  });

  it('fails a pod that outlives its activeDeadlineSeconds, as the kubelet would', async () => {
    const namespace = await freshNamespace('deadline');
    await core.createNamespacedPod({
      namespace,
      body: restrictedPod('slow', { activeDeadlineSeconds: 2 }),
    });
    const read = namedPod(namespace, 'slow');
    await podWhen(read, inPhase('Running'), 'pod Running');
    const failed = await podWhen(read, inPhase('Failed'), 'pod Failed');
    assert.equal(failed.status?.reason, 'DeadlineExceeded');
    const terminated = failed.status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(terminated?.exitCode, 137);
    // startTime has whole seconds: a 2 s deadline leaves at least 1 s between the two.
    const ranMs = Number(terminated?.finishedAt) - Number(failed.status?.startTime);
    assert.ok(ranMs >= 1000, `failed ${ranMs} ms after it started, before its 2 s deadline`);
  });

  it('garbage-collects the children of a deleted owner', async () => {
    const namespace = await freshNamespace('gc');
    const owner = await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'owner' }, data: { role: 'owner' } },
    });
    const ownerReferences = [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'owner',
        uid: owner.metadata!.uid!,
        controller: true,
      },
    ];
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'child', ownerReferences } },
    });
    const pod = restrictedPod('child-pod');
    pod.metadata!.ownerReferences = ownerReferences;
    await core.createNamespacedPod({ namespace, body: pod });
    await podWhen(namedPod(namespace, 'child-pod'), inPhase('Running'), 'child pod Running');

    await core.deleteNamespacedConfigMap({
      name: 'owner',
      namespace,
      propagationPolicy: 'Background',
    });
    await waitFor(
      () => gone(() => core.readNamespacedConfigMap({ name: 'child', namespace })),
      30_000,
      'child ConfigMap deleted',
    );
    await waitFor(
      () => gone(() => core.readNamespacedPod({ name: 'child-pod', namespace })),
      30_000,
      'child pod deleted',
    );
  });

  it('rejects a pod that violates the restricted Pod Security Standard', async () => {
    const namespace = await freshNamespace('psa');
    const err = await core
      .createNamespacedPod({
        namespace,
        body: {
          metadata: { name: 'root' },
          spec: { containers: [{ name: 'main', image: 'busybox' }] },
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.equal(statusCode(err), 403, 'the pod was not rejected');
    const status = JSON.parse(String((err as ApiException<string>).body)) as { message: string };
    assert.match(status.message, /violates PodSecurity "restricted:latest"/);
    // The same namespace takes a pod that complies, so the rejection was about the pod.
    await core.createNamespacedPod({ namespace, body: restrictedPod('compliant') });
  });

  it('enforces RBAC for a ServiceAccount token', async () => {
    const namespace = await freshNamespace('rbac');
    const token = await serviceAccountToken(namespace, 'reader');
    const readerCore = kubeConfig({ user: { name: 'reader', token } }).makeApiClient(CoreV1Api);
    const list = (ns: string): Promise<number> =>
      readerCore.listNamespacedPod({ namespace: ns }).then(
        () => 200,
        (e: unknown) => statusCode(e) ?? -1,
      );
    assert.equal(await list(namespace), 403, 'a ServiceAccount without a Role must be denied');

    await grant(namespace, 'reader', [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }]);
    // The token authenticates: with a RoleBinding the same request is allowed, here only.
    await waitFor(
      async () => (await list(namespace)) === 200,
      30_000,
      'list allowed after binding',
    );
    assert.equal(await list('default'), 403);
  });
});
