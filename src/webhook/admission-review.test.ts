import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mutateReview, validateReview, type AdmissionReview } from './admission-review.ts';
import { jsonPatch } from './json-patch.ts';

const job = (spec: Record<string, unknown> = {}) => ({
  apiVersion: 'mlops.mlops.dev/v1alpha1',
  kind: 'NotebookValidationJob',
  metadata: { name: 'j', namespace: 'n' },
  spec: {
    notebook: { git: { url: 'https://example.com/r.git', ref: 'main' }, path: 'a.ipynb' },
    podConfig: { containerImage: 'img', credentials: ['aws'] },
    ...spec,
  },
});
const review = (
  operation: 'CREATE' | 'UPDATE',
  object: unknown,
  oldObject?: unknown,
): AdmissionReview => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid: 'u1', operation, object, ...(oldObject ? { oldObject } : {}) },
});

describe('validating webhook', () => {
  it('allows a valid job, echoing the uid', () => {
    const out = validateReview(review('CREATE', job()));
    assert.deepEqual(out.response, { uid: 'u1', allowed: true });
  });

  it('denies with every field path', () => {
    const out = validateReview(
      review(
        'CREATE',
        job({
          timeout: 'soon',
          podConfig: { containerImage: 'img', volumes: [{ name: 'v', hostPath: { path: '/' } }] },
        }),
      ),
    );
    assert.equal(out.response?.allowed, false);
    assert.match(out.response?.status?.message ?? '', /spec.timeout: must be a duration/);
    assert.match(
      out.response?.status?.message ?? '',
      /spec.podConfig.volumes\[0\].hostPath: hostPath/,
    );
  });

  it('returns warnings for unimplemented fields', () => {
    const out = validateReview(review('CREATE', job({ modelValidation: {} })));
    assert.equal(out.response?.allowed, true);
    assert.match(out.response?.warnings?.[0] ?? '', /^spec.modelValidation: /);
  });

  it('denies a spec change and allows a metadata change', () => {
    const changed = validateReview(review('UPDATE', job({ timeout: '1h' }), job()));
    assert.equal(changed.response?.allowed, false);
    assert.match(changed.response?.status?.message ?? '', /cannot change once created/);
    const labelled = { ...job(), metadata: { name: 'j', namespace: 'n', labels: { a: 'b' } } };
    assert.equal(validateReview(review('UPDATE', labelled, job())).response?.allowed, true);
  });
});

describe('mutating webhook', () => {
  it('adds the defaults as a JSON patch of spec only', () => {
    const out = mutateReview(review('CREATE', job()));
    assert.equal(out.response?.patchType, 'JSONPatch');
    const ops = JSON.parse(Buffer.from(out.response?.patch ?? '', 'base64').toString()) as {
      op: string;
      path: string;
      value: unknown;
    }[];
    assert.deepEqual(ops, [
      { op: 'add', path: '/spec/podConfig/serviceAccountName', value: 'default' },
      { op: 'add', path: '/spec/podConfig/envFrom', value: [{ secretRef: { name: 'aws' } }] },
      { op: 'add', path: '/spec/timeout', value: '30m' },
    ]);
  });

  it('leaves invalid objects to the validating webhook', () => {
    assert.deepEqual(mutateReview(review('CREATE', { kind: 'NotebookValidationJob' })).response, {
      uid: 'u1',
      allowed: true,
    });
  });
});

describe('jsonPatch', () => {
  it('escapes keys and replaces changed scalars', () => {
    assert.deepEqual(jsonPatch({ a: { 'x/y': 1 } }, { a: { 'x/y': 2, 'b~': true } }), [
      { op: 'replace', path: '/a/x~1y', value: 2 },
      { op: 'add', path: '/a/b~0', value: true },
    ]);
  });
});
