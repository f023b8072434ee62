import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ComparisonConfig } from '../api/notebookvalidationjob.ts';
import { compareNotebooks } from './compare.ts';
import { code, markdown, notebook, result, stdout } from './testing.ts';

const normalized = ComparisonConfig.parse({});
const exact = ComparisonConfig.parse({ strategy: 'exact' });

describe('compareNotebooks', () => {
  it('matches identical notebooks', () => {
    const nb = notebook([
      markdown('# t'),
      code('print(1)', [stdout('1\n')]),
      code('x', [result('2')]),
    ]);
    const r = compareNotebooks(nb, structuredClone(nb), { config: normalized });
    assert.deepEqual(
      [r.result, r.totalCells, r.matchedCells, r.mismatchedCells, r.diffs],
      ['matched', 2, 2, 0, undefined],
    );
  });

  it('aligns an inserted cell so later cells still match', () => {
    const cells = Array.from({ length: 6 }, (_, i) => code(`print(${i})`, [stdout(`${i}\n`)]));
    const actual = [
      ...cells.slice(0, 2),
      code('print("new")', [stdout('new\n')]),
      ...cells.slice(2),
    ];
    const r = compareNotebooks(notebook(cells), notebook(structuredClone(actual)), {
      config: normalized,
    });
    assert.equal(r.mismatchedCells, 1);
    assert.deepEqual(
      r.diffs?.map((d) => [d.cellIndex, d.diffType]),
      [[2, 'extra_cell']],
    );
  });

  it('pairs a cell whose source changed and reports its output difference and a missing cell', () => {
    const golden = notebook([
      code('a = 1\nprint(a)', [stdout('1\n')]),
      code('print("gone")', [stdout('gone\n')]),
      code('print(3)', [stdout('3\n')]),
    ]);
    const actual = notebook([
      code('a = 2\nprint(a)', [stdout('2\n')]),
      code('print(3)', [stdout('3\n')]),
    ]);
    const r = compareNotebooks(golden, actual, { config: normalized });
    assert.deepEqual(
      r.diffs?.map((d) => [d.cellIndex, d.diffType, d.severity]),
      [
        [0, 'output_mismatch', 'major'],
        [1, 'missing_cell', 'major'],
      ],
    );
    assert.match(r.diffs?.[0]?.diff ?? '', /^-1\n\+2$/m);
  });

  it('normalized masks timestamps and compares floats within the tolerance; exact does not', () => {
    const golden = notebook([
      code('t', [stdout('at 2024-03-01T09:15:02.123 took 0.2s total 1.0\n')]),
    ]);
    const actual = notebook([
      code('t', [stdout('at 2026-11-21 12:00:00   took 1.5 ms total 0.9999999999999999\n')]),
    ]);
    assert.equal(compareNotebooks(golden, actual, { config: normalized }).result, 'matched');
    const e = compareNotebooks(golden, actual, { config: exact });
    assert.equal(e.result, 'failed');
    assert.equal(e.diffs?.[0]?.diffType, 'output_mismatch');
  });

  it('tolerance is numeric, not rounding, and numbers beyond it differ', () => {
    const g = notebook([code('x', [result('0.12344')])]);
    assert.equal(
      compareNotebooks(g, notebook([code('x', [result('0.12346')])]), { config: normalized })
        .result,
      'matched',
    );
    assert.equal(
      compareNotebooks(g, notebook([code('x', [result('0.1240')])]), { config: normalized }).result,
      'failed',
    );
  });

  it('custom timestamp patterns mask what the built-ins do not', () => {
    const g = notebook([code('x', [stdout('run id abc-111\n')])]);
    const a = notebook([code('x', [stdout('run id abc-999\n')])]);
    assert.equal(compareNotebooks(g, a, { config: normalized }).result, 'failed');
    const custom = ComparisonConfig.parse({ customTimestampPatterns: ['abc-\\d+'] });
    assert.equal(compareNotebooks(g, a, { config: custom }).result, 'matched');
  });

  it('honours ignoreExecutionCount and ignoreOutputTypes', () => {
    const g = notebook([
      code(
        'x',
        [result('1'), { output_type: 'display_data', data: { 'image/png': 'AAAA' }, metadata: {} }],
        { execution_count: 1 },
      ),
    ]);
    const a = notebook([
      code(
        'x',
        [result('1'), { output_type: 'display_data', data: { 'image/png': 'BBBB' }, metadata: {} }],
        { execution_count: 7 },
      ),
    ]);
    assert.equal(
      compareNotebooks(g, a, { config: normalized }).result,
      'failed',
      'different image content',
    );
    assert.equal(
      compareNotebooks(g, a, { config: ComparisonConfig.parse({ ignoreOutputTypes: ['image/*'] }) })
        .result,
      'matched',
    );
    const counted = ComparisonConfig.parse({
      ignoreOutputTypes: ['image/png'],
      ignoreExecutionCount: false,
    });
    assert.equal(compareNotebooks(g, a, { config: counted }).result, 'failed');
  });

  it('compares images by content hash, ignoring base64 line breaks', () => {
    const img = (b64: string) => ({
      output_type: 'display_data' as const,
      data: { 'image/png': b64 },
      metadata: {},
    });
    const r = compareNotebooks(
      notebook([code('p', [img('AAAA\nBBBB')])]),
      notebook([code('p', [img('AAAABBBB')])]),
      { config: exact },
    );
    assert.equal(r.result, 'matched');
  });

  it('merges stream chunks before comparing', () => {
    const g = notebook([code('p', [stdout('a\nb\n')])]);
    const a = notebook([code('p', [stdout('a\n'), stdout('b\n')])]);
    assert.equal(compareNotebooks(g, a, { config: exact }).result, 'matched');
  });

  it('nbval markers: skip, ignore output, and an unexpected error is an execution_error', () => {
    const g = notebook([
      code('# NBVAL_SKIP\nprint(1)', [stdout('1\n')]),
      code('# NBVAL_IGNORE_OUTPUT\nprint(2)', [stdout('2\n')]),
      code('print(3)', [stdout('3\n')], { metadata: { tags: ['nbval-ignore-output'] } }),
      code('boom()', [stdout('ok\n')]),
      code('# NBVAL_RAISES_EXCEPTION\nraise E', [
        { output_type: 'error', ename: 'E', evalue: 'x', traceback: [] },
      ]),
    ]);
    const a = notebook([
      code('# NBVAL_SKIP\nprint(1)', [stdout('other\n')]),
      code('# NBVAL_IGNORE_OUTPUT\nprint(2)', [stdout('other\n')]),
      code('print(3)', [stdout('other\n')], { metadata: { tags: ['nbval-ignore-output'] } }),
      code('boom()', [{ output_type: 'error', ename: 'NameError', evalue: 'boom', traceback: [] }]),
      code('# NBVAL_RAISES_EXCEPTION\nraise E', [
        { output_type: 'error', ename: 'E', evalue: 'x', traceback: [] },
      ]),
    ]);
    const r = compareNotebooks(g, a, { config: normalized });
    assert.equal(r.totalCells, 4, 'the skipped cell is not counted');
    assert.deepEqual(
      r.diffs?.map((d) => [d.cellIndex, d.diffType, d.severity]),
      [[3, 'execution_error', 'critical']],
    );
  });

  it("leaves papermill's injected cell out of the alignment", () => {
    const g = notebook([
      code('a = 1', [], { metadata: { tags: ['parameters'] } }),
      code('print(a)', [stdout('1\n')]),
    ]);
    const a = notebook([
      code('a = 1', [], { metadata: { tags: ['parameters'] } }),
      code('a = 5', [], { metadata: { tags: ['injected-parameters'] } }),
      code('print(a)', [stdout('1\n')]),
    ]);
    const r = compareNotebooks(g, a, { config: normalized });
    assert.deepEqual([r.result, r.totalCells], ['matched', 2]);
  });

  it('markdown differences are minor unless strict', () => {
    const g = notebook([markdown('# a'), code('x', [result('1')])]);
    const a = notebook([code('x', [result('1')])]);
    assert.equal(compareNotebooks(g, a, { config: normalized }).result, 'matched');
    assert.equal(compareNotebooks(g, a, { config: normalized }).diffs?.[0]?.severity, 'minor');
    assert.equal(compareNotebooks(g, a, { config: normalized, strict: true }).result, 'failed');
  });
});
