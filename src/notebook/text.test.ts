import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { align, myers } from './align.ts';
import { close, numericallyEqual } from './numbers.ts';
import { stripAnsi, truncateMiddle } from './text.ts';
import { timestampMasker } from './timestamps.ts';
import { unifiedDiff } from './udiff.ts';

describe('timestamps', () => {
  const mask = timestampMasker();
  for (const text of [
    '2024-03-01T09:15:02.123456Z',
    '2024-03-01 09:15:02',
    '12/31/2024 3:04 PM',
    '1.5s',
    '250 ms',
    '3 minutes',
    '1732190400',
    '1732190400123',
    '0:00:01.25',
  ]) {
    it(`masks ${text}`, () => assert.equal(mask(`at ${text}.`), 'at <TIMESTAMP>.'));
  }
  it('leaves ordinary numbers and words alone', () =>
    assert.equal(mask('42 samples, 3.14, version 2.1'), '42 samples, 3.14, version 2.1'));
  it('names an invalid custom pattern', () =>
    assert.throws(
      () => timestampMasker(['ok', '(']),
      /customTimestampPatterns\[1\]: not a valid regular expression/,
    ));
});

describe('numbers', () => {
  it('compares numbers in text within the tolerance', () => {
    assert.ok(numericallyEqual('loss 0.30000000000000004 acc 1e3', 'loss 0.3 acc 1000.0', 1e-4));
    assert.ok(!numericallyEqual('loss 0.3', 'loss 0.31', 1e-4));
    assert.ok(!numericallyEqual('loss 0.3', 'gain 0.3', 1e-4));
    assert.ok(close(1e10, 1.00001e10, 1e-4), 'relative');
    assert.ok(!close(1, 2, 1e-4));
  });
});

describe('alignment', () => {
  it('myers finds the common subsequence', () => {
    const steps = myers([...'abcabba'], [...'cbabac']);
    assert.equal(steps.filter((s) => s.op === 'equal').length, 4);
    assert.equal(steps.filter((s) => s.op === 'delete').length, 3);
    assert.equal(steps.filter((s) => s.op === 'insert').length, 2);
  });
  it('pairs changed items by similarity and keeps insertions apart', () => {
    const a = ['x = 1', 'print(x)', 'end'];
    const b = ['x = 2', 'new cell', 'print(x)', 'end'];
    const sim = (p: string, q: string) => (p.slice(0, 3) === q.slice(0, 3) ? 0.8 : 0);
    assert.deepEqual(
      align(a, b, (s) => s, sim).map((s) => s.op),
      ['change', 'insert', 'equal', 'equal'],
    );
  });
});

describe('text', () => {
  it('strips ANSI colours', () =>
    assert.equal(stripAnsi('\u001b[0;31mZeroDivisionError\u001b[0m: x'), 'ZeroDivisionError: x'));
  it('keeps head and tail', () => {
    const t = truncateMiddle(`${'a'.repeat(500)}${'z'.repeat(500)}`, 200);
    assert.ok(t.length <= 200 && t.startsWith('a') && t.endsWith('z') && t.includes('omitted'));
  });
  it('writes unified diffs with context', () => {
    const d = unifiedDiff('1\n2\n3\n4\n5\n6\n7\n8\n9', '1\n2\n3\n4\nfive\n6\n7\n8\n9');
    assert.equal(d, '--- expected\n+++ actual\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8');
  });
});
