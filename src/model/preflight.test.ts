import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headerFor } from './fixtures.ts';
import {
  indexFindings,
  layoutFindings,
  listSome,
  locateTensors,
  tokenizerFindings,
} from './preflight.ts';
import { parseSafetensorsHeader, parseSafetensorsIndex } from './safetensors.ts';

const header = (tensors: Parameters<typeof headerFor>[0]) => {
  const { header: h } = headerFor(tensors);
  return parseSafetensorsHeader('m.safetensors', 100, h);
};

describe('preflight', () => {
  it('bounds lists in messages', () => {
    assert.equal(listSome(['a', 'b']), 'a, b');
    assert.equal(listSome(['a', 'b', 'c', 'd', 'e']), 'a, b, c and 2 more');
  });

  it('accepts a sound layout, including zero-size tensors', () => {
    const h = header([
      { name: 'a', dtype: 'F32', shape: [2] },
      { name: 'empty', dtype: 'F32', shape: [0] },
      { name: 'b', dtype: 'F16', shape: [3] },
    ]);
    assert.deepEqual(layoutFindings('m.safetensors', h, 8 + 100 + 14), []);
    assert.deepEqual(
      layoutFindings('m.safetensors', h, 8 + 100 + 13).map((f) => f.code),
      ['file-truncated'],
    );
  });

  it('requires tokenizer files, as an error for generative models only', () => {
    assert.deepEqual(
      tokenizerFindings(['config.json', 'tokenizer.json'], ['TEXT_TO_TEXT'], 'x'),
      [],
    );
    assert.deepEqual(tokenizerFindings(['qwen.tiktoken'], ['TEXT_TO_TEXT'], 'x'), []);
    assert.equal(tokenizerFindings(['config.json'], ['TEXT_TO_TEXT'], 'x')[0]?.severity, 'error');
    assert.equal(tokenizerFindings(['config.json'], ['EMBEDDING'], 'x')[0]?.severity, 'warning');
  });

  it('checks the index against the shard headers', () => {
    const index = parseSafetensorsIndex('i.json', {
      metadata: { total_size: 4 },
      weight_map: { a: 's1', b: 's1', c: 's2' },
    });
    const s1 = header([{ name: 'a', dtype: 'F32', shape: [1] }]);
    const names = (h: typeof s1) => h.tensors.map((t) => t.name);
    const { where } = locateTensors([{ file: 'sub/s1', tensorNames: names(s1) }]);
    const check = {
      indexFile: 'i.json',
      index,
      where,
      shardFile: (s: string) => `sub/${s}`,
      dataBytes: 4,
    };
    // s2 was not read (reported as missing elsewhere): only s1's tensors are checked.
    const findings = indexFindings({ ...check, read: new Set(['sub/s1']) });
    assert.deepEqual(
      findings.map((f) => f.code),
      ['index-tensor-missing'],
    );
    assert.match(findings[0]?.message ?? '', /1 tensor\(s\) .*: b \(sub\/s1\)$/);
    const s2 = header([{ name: 'c', dtype: 'F32', shape: [1] }]);
    const all = locateTensors([
      { file: 'sub/s1', tensorNames: names(s1) },
      { file: 'sub/s2', tensorNames: names(s2) },
    ]);
    const both = indexFindings({
      ...check,
      where: all.where,
      read: new Set(['sub/s1', 'sub/s2']),
      dataBytes: 8,
    });
    assert.deepEqual(
      both.map((f) => f.code),
      ['index-tensor-missing', 'index-total-size'],
    );
  });

  it('finds tensors stored twice', () => {
    const located = locateTensors([
      { file: 'x', tensorNames: ['w', 'v'] },
      { file: 'y', tensorNames: ['w'] },
    ]);
    assert.deepEqual(
      located.findings.map((f) => f.code),
      ['tensor-duplicated'],
    );
    assert.equal(located.where.get('w'), 'x');
  });
});
