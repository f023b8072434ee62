import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MUTATING_WEBHOOK_NAME, VALIDATING_WEBHOOK_NAME } from '../install/rbac.ts';
import { caBundlePatch } from './ca-bundle.ts';
import { buildWebhookConfigurations } from './configurations.ts';

const caPem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';

describe('buildWebhookConfigurations', () => {
  it('covers CREATE and UPDATE of every nbv kind, failing closed', () => {
    const { validating, mutating } = buildWebhookConfigurations({
      clientConfig: { service: { namespace: 'nbv-system', name: 'nbv-webhook', port: 443 } },
    });
    assert.equal(validating.metadata.name, VALIDATING_WEBHOOK_NAME);
    assert.equal(mutating.metadata.name, MUTATING_WEBHOOK_NAME);
    const [v] = validating.webhooks;
    const [m] = mutating.webhooks;
    assert.ok(v && m);
    assert.equal(v.name, 'validate.nbv.mlops.dev');
    assert.equal(m.name, 'mutate.nbv.mlops.dev');
    assert.deepEqual(v.clientConfig, {
      service: { namespace: 'nbv-system', name: 'nbv-webhook', port: 443, path: '/validate' },
    });
    assert.equal(m.clientConfig.service?.path, '/mutate');
    assert.deepEqual(v.rules, [
      {
        apiGroups: ['mlops.mlops.dev'],
        apiVersions: ['v1alpha1'],
        operations: ['CREATE', 'UPDATE'],
        resources: ['notebookvalidationjobs'],
        scope: '*',
      },
      {
        apiGroups: ['ome.io'],
        apiVersions: ['v1beta1'],
        operations: ['CREATE', 'UPDATE'],
        resources: [
          'basemodels',
          'clusterbasemodels',
          'inferenceservices',
          'servingruntimes',
          'clusterservingruntimes',
        ],
        scope: '*',
      },
    ]);
    assert.deepEqual(m.rules, v.rules);
    for (const w of [v, m]) {
      assert.equal(w.failurePolicy, 'Fail');
      assert.equal(w.sideEffects, 'None');
      assert.deepEqual(w.admissionReviewVersions, ['v1']);
      assert.equal(w.timeoutSeconds, 10);
      assert.equal(w.namespaceSelector, undefined);
      assert.equal(w.clientConfig.caBundle, undefined);
    }
    assert.equal(m.reinvocationPolicy, 'Never');
    assert.equal('reinvocationPolicy' in v, false);
  });

  it('takes a URL, a CA bundle, selectors and names', () => {
    const { validating, mutating } = buildWebhookConfigurations({
      clientConfig: { url: 'https://127.0.0.1:9443/' },
      caBundle: caPem,
      namespaceSelector: { matchLabels: { team: 'a' } },
      names: { validating: 'v-test', mutating: 'm-test' },
      annotations: { 'cert-manager.io/inject-ca-from': 'nbv-system/nbv-webhook' },
    });
    assert.equal(validating.metadata.name, 'v-test');
    assert.equal(
      mutating.metadata.annotations?.['cert-manager.io/inject-ca-from'],
      'nbv-system/nbv-webhook',
    );
    assert.equal(validating.webhooks[0]?.clientConfig.url, 'https://127.0.0.1:9443/validate');
    assert.equal(mutating.webhooks[0]?.clientConfig.url, 'https://127.0.0.1:9443/mutate');
    assert.equal(
      Buffer.from(validating.webhooks[0]?.clientConfig.caBundle ?? '', 'base64').toString(),
      caPem,
    );
    assert.deepEqual(mutating.webhooks[0]?.namespaceSelector, { matchLabels: { team: 'a' } });
    assert.throws(
      () => buildWebhookConfigurations({ clientConfig: { url: 'http://127.0.0.1:9443' } }),
      /must be https/,
    );
  });
});

describe('caBundlePatch', () => {
  const b64 = Buffer.from(caPem).toString('base64');
  it('sets the stale entries, pinned to the resourceVersion read', () => {
    const config = {
      metadata: { name: 'x', resourceVersion: '42' },
      webhooks: [{ clientConfig: { url: 'https://a' } }, { clientConfig: { caBundle: b64 } }],
    };
    assert.deepEqual(caBundlePatch(config, b64), [
      { op: 'replace', path: '/metadata/resourceVersion', value: '42' },
      { op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: b64 },
    ]);
    assert.deepEqual(caBundlePatch({ ...config, webhooks: [config.webhooks[1]!] }, b64), []);
  });
});
