import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPvcStorageUri, parsePvcStorageUri } from './pvc-uri.ts';

describe('parsePvcStorageUri', () => {
  const accepted: [string, { namespace?: string; claimName: string; subPath: string }][] = [
    ['pvc://my-pvc/path/to/results', { claimName: 'my-pvc', subPath: 'path/to/results' }],
    [
      'pvc://model-storage:shared-pvc/models/llama2-7b',
      { namespace: 'model-storage', claimName: 'shared-pvc', subPath: 'models/llama2-7b' },
    ],
    ['pvc://claim.v2/m', { claimName: 'claim.v2', subPath: 'm' }],
    ['pvc://c/a//b/', { claimName: 'c', subPath: 'a/b' }],
  ];
  for (const [uri, expected] of accepted) {
    it(`accepts ${uri}`, () => {
      const result = parsePvcStorageUri(uri);
      assert.ok(result.ok, result.ok ? '' : result.error);
      assert.deepEqual(result.value, expected);
    });
  }

  const rejected: [string, RegExp][] = [
    ['pvc://', /missing claim name/],
    ['pvc:///r', /no claim name/],
    ['pvc://p', /no sub-path/],
    ['pvc://p/', /sub-path "" is empty/],
    ['pvc://ns:p', /no sub-path/],
    ['pvc://:p/m', /empty namespace/],
    ['pvc://default:/m', /empty claim name/],
    ['pvc://ns:p:x/m', /more than one ":"/],
    ['pvc://MyNamespace:x/m', /namespace "MyNamespace" must be a DNS label/],
    ['pvc://my_namespace:x/m', /namespace "my_namespace" must be a DNS label/],
    ['pvc://-ns:x/m', /namespace "-ns" must be a DNS label/],
    [`pvc://${'a'.repeat(64)}:x/m`, /longer than 63/],
    ['pvc://p/a/../b', /must not contain "\.\."/],
    ['pvc://Claim/m', /claim name "Claim" must be a DNS subdomain/],
    ['s3://bucket/m', /does not start with pvc:\/\//],
  ];
  for (const [uri, reason] of rejected) {
    it(`rejects ${uri.length > 40 ? `${uri.slice(0, 40)}…` : uri}`, () => {
      const result = parsePvcStorageUri(uri);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.match(result.error, /^invalid PVC storage URI format: /);
      assert.match(result.error, reason);
    });
  }

  it('accepts a namespace of exactly 63 characters', () => {
    assert.ok(parsePvcStorageUri(`pvc://${'a'.repeat(63)}:x/m`).ok);
  });

  it('formats what it parses', () => {
    for (const uri of ['pvc://my-pvc/path/to/results', 'pvc://ns:c/m']) {
      const result = parsePvcStorageUri(uri);
      assert.ok(result.ok);
      assert.equal(formatPvcStorageUri(result.value), uri);
    }
  });
});
