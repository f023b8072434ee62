import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { toYaml } from './yaml.ts';

describe('toYaml', () => {
  it('quotes strings that YAML 1.1 readers such as kubectl would take for booleans', () => {
    const value = { a: 'yes', b: 'on', c: 'n', d: 'off', real: true, count: 3 };
    const text = toYaml(value);
    assert.match(text, /^a: "yes"$/m);
    assert.match(text, /^b: "on"$/m);
    assert.match(text, /^real: true$/m);
    assert.deepEqual(parse(text, { version: '1.1' }), value);
  });

  it('writes shared objects out in full, without anchors', () => {
    const shared = { x: 1 };
    assert.doesNotMatch(toYaml({ a: shared, b: shared }), /[&*]/);
  });
});
