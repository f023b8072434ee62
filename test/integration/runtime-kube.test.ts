// The runtime's Kubernetes client against the real apiserver: server-side apply, status writes,
// raw CRDs, idempotent create/delete, events, lists and watches.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { KubeApiError, isConflict } from '../../src/runtime/errors.ts';
import { fromKubeconfigFiles, inCluster, loadConnection } from '../../src/runtime/connection.ts';
import { KubeClient, type KubeObject, type WatchEvent } from '../../src/runtime/kube.ts';
import { resources, type ResourceType } from '../../src/runtime/resources.ts';
import {
  freshNamespace,
  kubeConfig,
  kubeconfigPath,
  serviceAccountToken,
  waitFor,
} from './cluster.ts';

const client = new KubeClient(kubeConfig());

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

interface Widget extends KubeObject {
  spec?: { size?: number; mode?: string; extra?: Record<string, unknown> };
  status?: { phase?: string; observedGeneration?: number; message?: string };
}

const widgets: ResourceType = {
  group: 'rttest.mlops.dev',
  version: 'v1',
  kind: 'Widget',
  plural: 'widgets',
  namespaced: true,
};

/** A CRD with what client-node's typed API would drop: enum, default, x-kubernetes-*. */
const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.rttest.mlops.dev' },
  spec: {
    group: 'rttest.mlops.dev',
    scope: 'Namespaced',
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  size: { type: 'integer' },
                  mode: { type: 'string', enum: ['fast', 'slow'], default: 'fast' },
                  extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                },
              },
              status: {
                type: 'object',
                properties: {
                  phase: { type: 'string' },
                  observedGeneration: { type: 'integer' },
                  message: { type: 'string' },
                },
              },
            },
          },
        },
      },
    ],
  },
};

async function installWidgetCrd(): Promise<void> {
  await client.apply(widgetCrd);
  await waitFor(
    async () => {
      const crd = await client.get<
        KubeObject & { status?: { conditions?: { type: string; status: string }[] } }
      >(resources.customResourceDefinitions, widgetCrd.metadata.name);
      return crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    },
    30_000,
    'Widget CRD Established',
  );
  // Discovery can lag behind Established for a moment.
  await waitFor(
    () => client.list(widgets, { namespace: 'default', limit: 1 }),
    30_000,
    'widgets served',
  );
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail('expected the call to fail'),
    (err: unknown) => err,
  );
}

describe('KubeClient', () => {
  it('server-side apply: idempotent, owns its fields, takes conflicts only when forced', async () => {
    const namespace = await freshNamespace('rt-apply');
    const desired: ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace, labels: { app: 'nbv' } },
      data: { mode: 'fast', size: '1' },
    };
    const first = await client.apply(desired);
    const second = await client.apply(desired);
    assert.ok(first.metadata?.resourceVersion);
    assert.equal(second.metadata?.resourceVersion, first.metadata?.resourceVersion, 'no-op apply');
    const managers = (first.metadata?.managedFields ?? []) as {
      manager?: string;
      operation?: string;
    }[];
    assert.ok(managers.some((m) => m.manager === 'nbv' && m.operation === 'Apply'));

    // Fields nbv applied before and leaves out now are removed: apply states the whole intent.
    const third = await client.apply<ConfigMap>({ ...desired, data: { mode: 'slow' } });
    assert.notEqual(third.metadata?.resourceVersion, first.metadata?.resourceVersion);
    assert.deepEqual(third.data, { mode: 'slow' });

    // Another manager takes the field; nbv gets it back only with force (the default).
    await client.apply<ConfigMap>(
      { ...desired, metadata: { name: 'settings', namespace }, data: { mode: 'manual' } },
      { fieldManager: 'someone-else' },
    );
    const conflict = await rejection(
      client.apply({ ...desired, data: { mode: 'slow' } }, { force: false }),
    );
    assert.ok(isConflict(conflict), `expected 409 Conflict, got ${String(conflict)}`);
    const forced = await client.apply<ConfigMap>({ ...desired, data: { mode: 'slow' } });
    assert.equal(forced.data?.mode, 'slow');
  });

  it('applies a CRD raw, keeping enum, default and x-kubernetes-* keys', async () => {
    await installWidgetCrd();
    const crd = await client.get<typeof widgetCrd>(
      resources.customResourceDefinitions,
      widgetCrd.metadata.name,
    );
    const spec = crd?.spec.versions[0]?.schema.openAPIV3Schema.properties.spec.properties;
    assert.deepEqual(spec?.mode, { type: 'string', enum: ['fast', 'slow'], default: 'fast' });
    assert.equal(spec?.extra['x-kubernetes-preserve-unknown-fields'], true);
    // The server enforces them: so they really arrived.
    const namespace = await freshNamespace('rt-crd');
    const created = await client.apply<Widget>({
      apiVersion: 'rttest.mlops.dev/v1',
      kind: 'Widget',
      metadata: { name: 'w', namespace },
      spec: { size: 1, extra: { anything: { nested: true } } },
    });
    assert.equal(created.spec?.mode, 'fast', 'default applied by the apiserver');
    assert.deepEqual(created.spec?.extra, { anything: { nested: true } });
    const invalid = await rejection(
      client.apply({ ...created, metadata: { name: 'w', namespace }, spec: { mode: 'warp' } }),
    );
    assert.ok(invalid instanceof KubeApiError && invalid.code === 422, String(invalid));
    assert.match(invalid.message, /spec\.mode/);
  });

  it('patchStatus writes the status subresource only, idempotently', async () => {
    await installWidgetCrd();
    const namespace = await freshNamespace('rt-status');
    const ref = {
      apiVersion: 'rttest.mlops.dev/v1',
      kind: 'Widget',
      metadata: { name: 'w', namespace },
    };
    const created = await client.apply<Widget>({ ...ref, spec: { size: 2 } });
    const status = { phase: 'Ready', observedGeneration: created.metadata?.generation };
    const patched = await client.patchStatus<Widget>({ ...ref, status });
    assert.deepEqual(patched.status, status);
    assert.equal(patched.spec?.size, 2);
    assert.equal(
      patched.metadata?.generation,
      created.metadata?.generation,
      'status does not bump generation',
    );
    const again = await client.patchStatus<Widget>({ ...ref, status });
    assert.equal(
      again.metadata?.resourceVersion,
      patched.metadata?.resourceVersion,
      'no-op status apply',
    );

    // The main resource ignores status, and the status subresource ignores spec.
    await client.apply<Widget>({ ...ref, spec: { size: 2 }, status: { phase: 'Hijacked' } });
    await client.patchStatus<Widget>({
      ...ref,
      spec: { size: 99 },
      status: { ...status, message: 'm' },
    });
    const current = await client.get<Widget>(widgets, 'w', namespace);
    assert.equal(current?.status?.phase, 'Ready');
    assert.equal(current?.status?.message, 'm');
    assert.equal(current?.spec?.size, 2);
  });

  it('create can tolerate an existing object; delete tolerates a missing one', async () => {
    const namespace = await freshNamespace('rt-create');
    const cm: ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'once', namespace },
      data: { v: '1' },
    };
    const created = await client.create(cm);
    const err = await rejection(client.create(cm));
    assert.ok(err instanceof KubeApiError && err.reason === 'AlreadyExists', String(err));
    const existing = await client.create<ConfigMap>(
      { ...cm, data: { v: '2' } },
      { tolerateExisting: true },
    );
    assert.equal(existing.metadata?.uid, created.metadata?.uid);
    assert.equal(existing.data?.v, '1', 'the existing object is returned untouched');

    const other = await rejection(
      client.delete(resources.configMaps, { name: 'once', namespace }, { uid: 'not-its-uid' }),
    );
    assert.ok(isConflict(other), `a uid precondition that fails is a conflict: ${String(other)}`);
    assert.equal(await client.delete(resources.configMaps, { name: 'once', namespace }), true);
    assert.equal(await client.delete(resources.configMaps, { name: 'once', namespace }), false);
    assert.equal(await client.get(resources.configMaps, 'once', namespace), undefined);
  });

  it('records events.k8s.io Events that core/v1 readers see, with labels', async () => {
    const namespace = await freshNamespace('rt-event');
    const regarding = await client.create<ConfigMap>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'subject', namespace },
    });
    const long = 'x'.repeat(2000);
    await client.createEvent({
      regarding,
      type: 'Warning',
      reason: 'ValidationFailed',
      note: `cell 3 failed ${long}`,
      labels: { 'mlops.dev/notification-type': 'validation-failure' },
      annotations: { 'mlops.dev/attempt': '2' },
    });
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const events = await core.listNamespacedEvent({
      namespace,
      fieldSelector: 'involvedObject.name=subject',
    });
    assert.equal(events.items.length, 1);
    const [event] = events.items;
    assert.equal(event?.reason, 'ValidationFailed');
    assert.equal(event?.type, 'Warning');
    assert.equal(event?.involvedObject.uid, regarding.metadata?.uid);
    assert.equal(event?.involvedObject.kind, 'ConfigMap');
    assert.match(event?.message ?? '', /^cell 3 failed x+\.\.\.$/);
    assert.ok(Buffer.byteLength(event?.message ?? '') <= 1024);
    assert.equal(event?.metadata.labels?.['mlops.dev/notification-type'], 'validation-failure');
    assert.equal(event?.metadata.annotations?.['mlops.dev/attempt'], '2');
  });

  it('lists in pages and gets; a missing object is undefined', async () => {
    const namespace = await freshNamespace('rt-list');
    await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        client.create({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `cm-${i}`, namespace },
        }),
      ),
    );
    const page = await client.list<ConfigMap>(resources.configMaps, { namespace, limit: 3 });
    assert.equal(page.items.length, 3);
    assert.ok(page.continue);
    assert.equal(page.items[0]?.kind, 'ConfigMap', 'list items get their kind back');
    const all = await client.listAll<ConfigMap>(resources.configMaps, { namespace });
    const names = all.items.map((i) => i.metadata?.name).filter((n) => n?.startsWith('cm-'));
    assert.deepEqual(
      names.sort(),
      Array.from({ length: 7 }, (_, i) => `cm-${i}`),
    );
    assert.equal(await client.get(resources.configMaps, 'absent', namespace), undefined);
    const log = await rejection(client.readPodLog(namespace, 'no-such-pod', { limitBytes: 10 }));
    assert.ok(log instanceof KubeApiError && log.code === 404, String(log));
    assert.match(log.message, /no-such-pod/);
  });

  it('watches from a resourceVersion', async () => {
    const namespace = await freshNamespace('rt-watch');
    const start = await client.list(resources.configMaps, { namespace });
    const abort = new AbortController();
    const seen: string[] = [];
    const watching = (async () => {
      for await (const event of client.watch<ConfigMap>(resources.configMaps, {
        namespace,
        resourceVersion: start.resourceVersion,
        signal: abort.signal,
      })) {
        seen.push(summary(event));
        if (event.type === 'DELETED') return;
      }
    })();
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w', namespace } };
    await client.create(cm);
    await client.apply({ ...cm, data: { a: '1' } });
    await client.delete(resources.configMaps, { name: 'w', namespace });
    await watching;
    abort.abort();
    assert.deepEqual(seen, ['ADDED w', 'MODIFIED w', 'DELETED w']);
  });
});

describe('connections', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nbv-rt-conn-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const admin = parse(readFileSync(kubeconfigPath(), 'utf8')) as {
    clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  };
  const apiserver = admin.clusters[0]?.cluster;
  assert.ok(apiserver);
  const decode = (b64: string | undefined): string => Buffer.from(b64 ?? '', 'base64').toString();

  it('reaches the apiserver with its own kubeconfig loader', async () => {
    const own = new KubeClient(loadConnection({ kubeconfig: kubeconfigPath() }));
    after(() => own.close());
    const list = await own.list(resources.namespaces, { limit: 1 });
    assert.ok(list.resourceVersion);
  });

  it("authenticates as the pod's service account from its token files", async () => {
    const namespace = await freshNamespace('rt-sa');
    const token = await serviceAccountToken(namespace, 'operator');
    const sa = mkdtempSync(join(dir, 'sa-'));
    writeFileSync(join(sa, 'token'), token);
    writeFileSync(join(sa, 'ca.crt'), decode(apiserver['certificate-authority-data']));
    writeFileSync(join(sa, 'namespace'), namespace);
    const url = new URL(apiserver.server);
    const saved = {
      host: process.env.KUBERNETES_SERVICE_HOST,
      port: process.env.KUBERNETES_SERVICE_PORT,
    };
    process.env.KUBERNETES_SERVICE_HOST = url.hostname;
    process.env.KUBERNETES_SERVICE_PORT = url.port;
    const connection = inCluster(sa);
    if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
    else process.env.KUBERNETES_SERVICE_HOST = saved.host;
    if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
    else process.env.KUBERNETES_SERVICE_PORT = saved.port;
    assert.equal(connection.namespace, namespace);
    const asPod = new KubeClient(connection);
    after(() => asPod.close());
    // Authenticated (the apiserver names the account), not authorised: no RoleBinding.
    const denied = await rejection(asPod.list(resources.configMaps, { namespace }));
    assert.ok(denied instanceof KubeApiError && denied.code === 403, String(denied));
    assert.match(denied.message, new RegExp(`system:serviceaccount:${namespace}:operator`));
  });

  it('authenticates with a client certificate from an exec credential plugin', async () => {
    const user = admin.users[0]?.user;
    assert.ok(user);
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: {
        clientCertificateData: decode(user['client-certificate-data']),
        clientKeyData: decode(user['client-key-data']),
      },
    });
    writeFileSync(join(dir, 'credential.json'), credential);
    const plugin = join(dir, 'plugin.sh');
    writeFileSync(plugin, `#!/bin/sh\ncat "${join(dir, 'credential.json')}"\n`);
    chmodSync(plugin, 0o755);
    const path = join(dir, 'exec-kubeconfig');
    writeFileSync(
      path,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: admin.clusters,
        users: [
          {
            name: 'exec',
            user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin } },
          },
        ],
        contexts: [{ name: 'exec', context: { cluster: admin.clusters[0]?.name, user: 'exec' } }],
        'current-context': 'exec',
      }),
    );
    const viaExec = new KubeClient(fromKubeconfigFiles([path]));
    after(() => viaExec.close());
    const list = await viaExec.list(resources.namespaces, { limit: 1 });
    assert.ok(list.items.length > 0);
  });
});

function summary(event: WatchEvent<ConfigMap>): string {
  return event.type === 'BOOKMARK' ? 'BOOKMARK' : `${event.type} ${event.object.metadata?.name}`;
}
