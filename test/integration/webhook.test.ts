// The admission webhooks against the real apiserver: the server runs in this process on
// 127.0.0.1 with a self-managed certificate (pure node:crypto) kept in a Secret, and the
// apiserver calls it for objects in this test's namespace. That the apiserver accepts the TLS
// connection is the proof that the certificate and the caBundle are right.
//
// The configurations are cluster-wide and fail closed: they select only this test's namespace
// and objects carrying this test's label (cluster-scoped kinds ignore namespaceSelector), have
// names of their own, and are deleted in `after` whatever happened.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { notebookValidationJobs } from '../../src/controllers/notebookvalidationjob/controller.ts';
import { WEBHOOK_CERT_SECRET } from '../../src/install/rbac.ts';
import { isConflict } from '../../src/runtime/errors.ts';
import { KubeClient, type KubeObject } from '../../src/runtime/kube.ts';
import { resources } from '../../src/runtime/resources.ts';
import type { WebhookConfigurationNames } from '../../src/webhook/ca-bundle.ts';
import {
  mutatingWebhookConfigurations,
  validatingWebhookConfigurations,
  type Webhook,
} from '../../src/webhook/configurations.ts';
import {
  deleteWebhookConfigurations,
  ensureWebhookConfigurations,
} from '../../src/webhook/register.ts';
import {
  SECRET_KEYS,
  ensureSelfManagedCerts,
  newBundle,
  splitPem,
  startSelfManagedCerts,
  type CertBundle,
  type SelfManagedCerts,
} from '../../src/webhook/self-managed.ts';
import { startWebhookServer, type WebhookServer } from '../../src/webhook/server.ts';
import { KubectlError, freshNamespace, kubeConfig, kubectl, waitFor } from './cluster.ts';

const repo = resolve(import.meta.dirname, '../..');
const client = new KubeClient(kubeConfig());
const TEST_LABEL = 'nbv-webhook-test';
const SANS = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] };

let namespace = '';
let names: WebhookConfigurationNames | undefined;
let certs: SelfManagedCerts | undefined;
let server: WebhookServer | undefined;

interface Secret extends KubeObject {
  data?: Record<string, string>;
}
type Config = KubeObject & { webhooks: Webhook[] };

function job(name: string, podConfig: Record<string, unknown> = {}) {
  return {
    apiVersion: 'mlops.mlops.dev/v1alpha1',
    kind: 'NotebookValidationJob',
    metadata: { name, namespace, labels: { [TEST_LABEL]: namespace } },
    spec: {
      notebook: { git: { url: 'https://example.com/org/repo.git', ref: 'main' }, path: 'a.ipynb' },
      podConfig: { containerImage: 'quay.io/jupyter/minimal-notebook:latest', ...podConfig },
    },
  };
}

/** Runs kubectl; the error output when it fails, undefined when it succeeds. */
async function rejection(args: string[], object: unknown): Promise<string | undefined> {
  try {
    await kubectl(args, JSON.stringify(object));
    return undefined;
  } catch (err) {
    if (err instanceof KubectlError) return err.stderr;
    throw err;
  }
}

const dryRunCreate = (object: unknown) =>
  kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify(object));

/** The caBundle of every webhook of the two configurations (this test's by default), decoded. */
async function caBundles(of = names): Promise<string[]> {
  if (!of) return [];
  const configs = await Promise.all([
    client.get<Config>(validatingWebhookConfigurations, of.validating),
    client.get<Config>(mutatingWebhookConfigurations, of.mutating),
  ]);
  return configs.flatMap((c) =>
    (c?.webhooks ?? []).map((w) => Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString()),
  );
}

/** The certificate the server presents on a new connection. */
function presented(port: number): Promise<string> {
  return new Promise((resolvePem, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const der = socket.getPeerCertificate().raw;
      socket.end();
      resolvePem(new X509Certificate(der).fingerprint256);
    });
    socket.on('error', reject);
  });
}

/** Whether a new connection verified against the configurations' caBundle succeeds. */
async function trustedByCaBundle(port: number): Promise<boolean> {
  const [ca] = await caBundles();
  return new Promise((resolveTrust) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca }, () => {
      socket.end();
      resolveTrust(socket.authorized);
    });
    socket.on('error', () => resolveTrust(false));
  });
}

/** The certificate PEM stored in Secret `name` of the test's namespace. */
async function storedCert(name: string): Promise<string> {
  const secret = await client.get<Secret>(resources.secrets, name, namespace);
  return Buffer.from(secret?.data?.[SECRET_KEYS.cert] ?? '', 'base64').toString();
}

async function storeBundle(bundle: CertBundle): Promise<void> {
  const secret = await client.get<Secret>(resources.secrets, WEBHOOK_CERT_SECRET, namespace);
  assert.ok(secret);
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  await client.replace<Secret>({
    ...secret,
    data: {
      [SECRET_KEYS.cert]: b64(bundle.certPem),
      [SECRET_KEYS.key]: b64(bundle.keyPem),
      [SECRET_KEYS.ca]: b64(bundle.caPem),
    },
  });
}

/** A valid job passes both webhooks (a dry run calls them as a create does). */
async function admitted(): Promise<boolean> {
  await dryRunCreate(job('probe', { credentials: ['probe'] }));
  return true;
}

describe('admission webhooks on the real apiserver', () => {
  before(async () => {
    namespace = await freshNamespace('webhook');
    const crds = readdirSync(join(repo, 'config/crd'))
      .filter((f) => /^(mlops|ome)\..*\.yaml$/.test(f))
      .map((f) => join(repo, 'config/crd', f));
    await kubectl([
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=nbv-test',
      ...crds.flatMap((file) => ['-f', file]),
    ]);
    await kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/notebookvalidationjobs.mlops.mlops.dev',
      'crd/basemodels.ome.io',
    ]);
  });

  after(async () => {
    // First the configurations: without the server they would reject every write they cover.
    if (names) {
      await deleteWebhookConfigurations(client, names).catch((err: unknown) => {
        process.stderr.write(`webhook test: deleting the configurations failed: ${String(err)}\n`);
      });
    }
    certs?.stop();
    await server?.close();
    if (namespace)
      await client.delete(resources.namespaces, { name: namespace }).catch(() => false);
    client.close();
  });

  it('makes the certificate in a Secret and starts the server with it', async () => {
    names = {
      validating: `nbv-validating-webhook-${namespace}`,
      mutating: `nbv-mutating-webhook-${namespace}`,
    };
    certs = await startSelfManagedCerts(client, {
      namespace,
      secretName: WEBHOOK_CERT_SECRET,
      ...SANS,
      validityDays: 30,
      webhooks: names,
      // The next test shows the apiserver failing closed before the CA is in place.
      missingIntervalMs: 3_600_000,
    });
    const secret = await client.get<Secret & { type?: string }>(
      resources.secrets,
      WEBHOOK_CERT_SECRET,
      namespace,
    );
    assert.equal(secret?.type, 'kubernetes.io/tls');
    assert.equal(await storedCert(WEBHOOK_CERT_SECRET), certs.bundle().certPem);
    server = await startWebhookServer({ port: 0, host: '127.0.0.1', certSource: certs });
    assert.equal(
      await presented(server.port),
      new X509Certificate(certs.bundle().certPem).fingerprint256,
    );
  });

  it('registers the webhooks; without the CA the apiserver trusts nothing and fails closed', async () => {
    assert.ok(server && names);
    const registered = await ensureWebhookConfigurations(client, {
      clientConfig: { url: `https://127.0.0.1:${server.port}` },
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
      objectSelector: { matchLabels: { [TEST_LABEL]: namespace } },
      names,
    });
    assert.deepEqual(registered, names);
    const message = await waitFor(
      () => rejection(['create', '--dry-run=server', '-f', '-'], job('untrusted')),
      30_000,
      'the apiserver to call the webhook',
    );
    assert.match(message, /failed calling webhook "(validate|mutate)\.nbv\.mlops\.dev"/);
    assert.match(message, /x509|certificate/);
  });

  it('patches the caBundle of both configurations, and the apiserver trusts the server', async () => {
    assert.ok(certs);
    const bundle = await certs.recheck();
    assert.deepEqual(await caBundles(), [bundle.caPem, bundle.caPem]);
    assert.ok(server && (await trustedByCaBundle(server.port)));
    await waitFor(admitted, 30_000, 'the apiserver to trust the webhook server');
  });

  it('rejects an invalid NotebookValidationJob naming the field', async () => {
    const invalid = job('invalid', {
      volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'claim' } }],
      volumeMounts: [
        { name: 'v', mountPath: '/v' },
        { name: 'nope', mountPath: '/n' },
      ],
    });
    const message = await rejection(['apply', '-f', '-'], invalid);
    assert.ok(message, 'the invalid job was created');
    assert.match(message, /admission webhook "validate\.nbv\.mlops\.dev" denied the request/);
    assert.match(message, /spec\.podConfig\.volumeMounts\[1\]\.name: no volume named "nope"/);
  });

  it('defaults a valid one: the stored object has the defaults', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify(job('valid', { credentials: ['aws-creds'] })),
    );
    const stored = await client.get<KubeObject & { spec: Record<string, unknown> }>(
      notebookValidationJobs,
      'valid',
      namespace,
    );
    assert.equal(stored?.spec.timeout, '30m');
    // The CRD's schema defaults timeout too; envFrom from credentials only the webhook adds.
    assert.deepEqual((stored?.spec.podConfig as { envFrom?: unknown }).envFrom, [
      { secretRef: { name: 'aws-creds' } },
    ]);
  });

  it('rejects a change of spec and allows a change of labels', async () => {
    const target = ['-n', namespace, 'notebookvalidationjob/valid'];
    const message = await kubectl([
      'patch',
      ...target,
      '--type=merge',
      '-p',
      '{"spec":{"timeout":"1h"}}',
    ]).then(
      () => undefined,
      (err: unknown) => (err instanceof KubectlError ? err.stderr : String(err)),
    );
    assert.ok(message, 'the spec change was accepted');
    assert.match(message, /denied the request: spec: .*cannot change once created/);
    await kubectl(['label', ...target, 'extra=yes']);
  });

  it('rejects a BaseModel with a bad pvc:// URI naming spec.storage.storageUri', async () => {
    const model = {
      apiVersion: 'ome.io/v1beta1',
      kind: 'BaseModel',
      metadata: { name: 'm', namespace, labels: { [TEST_LABEL]: namespace } },
      spec: { storage: { storageUri: 'pvc://other-namespace:claim/models/m' } },
    };
    const message = await rejection(['apply', '-f', '-'], model);
    assert.ok(message, 'the BaseModel was created');
    assert.match(
      message,
      /denied the request: BaseModel\/m is invalid: spec\.storage\.storageUri: /,
    );
  });

  it('serves a certificate replaced in the Secret after a re-check', async () => {
    assert.ok(certs && server);
    const replacement = newBundle({ ...SANS, validityDays: 30 }, undefined, new Date());
    await storeBundle(replacement);
    await certs.recheck();
    assert.equal(
      await presented(server.port),
      new X509Certificate(replacement.certPem).fingerprint256,
    );
    assert.deepEqual(await caBundles(), [replacement.caPem, replacement.caPem]);
    assert.ok(await trustedByCaBundle(server.port));
    // A new caBundle gives the apiserver a new client for the webhook, so a new TLS handshake:
    // an admitted request is proof that it trusts the replacement, not an old connection.
    await waitFor(admitted, 30_000, 'the apiserver to trust the replaced certificate');
  });

  it('renews an expiring certificate, trusting the old CA next to the new one', async () => {
    assert.ok(certs && server);
    const expiring = newBundle(
      { ...SANS, validityDays: 30 },
      undefined,
      new Date(Date.now() - 29 * 86_400_000),
    );
    await storeBundle(expiring);
    const renewed = await certs.recheck();
    assert.notEqual(renewed.certPem, expiring.certPem);
    assert.deepEqual(splitPem(renewed.caPem).slice(1), splitPem(expiring.caPem));
    assert.equal(await storedCert(WEBHOOK_CERT_SECRET), renewed.certPem);
    assert.deepEqual(await caBundles(), [renewed.caPem, renewed.caPem]);
    assert.equal(await presented(server.port), new X509Certificate(renewed.certPem).fingerprint256);
    assert.ok(await trustedByCaBundle(server.port));
    await waitFor(admitted, 30_000, 'the apiserver to trust the renewed certificate');
  });

  it('refuses a JSON patch carrying a stale resourceVersion with 409', async () => {
    assert.ok(names);
    const stale = client.jsonPatch(validatingWebhookConfigurations, { name: names.validating }, [
      { op: 'replace', path: '/metadata/resourceVersion', value: '1' },
      { op: 'add', path: '/webhooks/0/timeoutSeconds', value: 5 },
    ]);
    await assert.rejects(stale, (err: unknown) => isConflict(err));
  });

  it('lets replicas racing for a missing Secret end with one certificate', async () => {
    const racers = Array.from({ length: 4 }, () => new KubeClient(kubeConfig()));
    try {
      const bundles = await Promise.all(
        racers.map((c) =>
          ensureSelfManagedCerts(c, {
            namespace,
            secretName: 'raced-cert',
            ...SANS,
            validityDays: 30,
          }),
        ),
      );
      assert.equal(new Set(bundles.map((b) => b.certPem)).size, 1);
      assert.equal(await storedCert('raced-cert'), bundles[0]?.certPem);
    } finally {
      racers.forEach((c) => c.close());
    }
  });

  it('sets the caBundle by itself when the configurations appear after it started', async () => {
    const late = {
      validating: `nbv-late-validating-${namespace}`,
      mutating: `nbv-late-mutating-${namespace}`,
    };
    const lateCerts = await startSelfManagedCerts(client, {
      namespace,
      secretName: WEBHOOK_CERT_SECRET,
      ...SANS,
      validityDays: 30,
      webhooks: late,
      missingIntervalMs: 200,
    });
    try {
      await ensureWebhookConfigurations(client, {
        clientConfig: { url: 'https://127.0.0.1:9' },
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
        // No object carries this: the configurations exist, nothing is sent to them.
        objectSelector: { matchLabels: { [TEST_LABEL]: 'no-object-has-this' } },
        names: late,
      });
      const ca = lateCerts.bundle().caPem;
      await waitFor(
        async () => {
          const bundles = await caBundles(late);
          return bundles.length > 0 && bundles.every((bundle) => bundle === ca);
        },
        10_000,
        'the caBundle, with no recheck() call',
      );
    } finally {
      lateCerts.stop();
      await deleteWebhookConfigurations(client, late);
    }
  });

  it('deletes both configurations', async () => {
    assert.ok(names);
    await deleteWebhookConfigurations(client, names);
    assert.equal(await client.get(validatingWebhookConfigurations, names.validating), undefined);
    assert.equal(await client.get(mutatingWebhookConfigurations, names.mutating), undefined);
    // Deleting again is fine: `after` does it whatever happened before.
    await deleteWebhookConfigurations(client, names);
  });
});
