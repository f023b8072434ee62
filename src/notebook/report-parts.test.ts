import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationConfig } from '../api/notebookvalidationjob.ts';
import { applyChecks, shapeMatches, typeMatches, validationChecks } from './checks.ts';
import { junitXml } from './junit.ts';
import { parseReportLog, statusJson } from './json.ts';
import type { ValidationReport } from './report.ts';
import { cellResults } from './results.ts';
import { parseTerminationMessage, summarize, TERMINATION_MESSAGE_LIMIT } from './summary.ts';
import { code, notebook, result, stdout } from './testing.ts';

const error = {
  output_type: 'error' as const,
  ename: 'ZeroDivisionError',
  evalue: 'division by zero',
  traceback: ['\u001b[31mTraceback\u001b[0m', 'ZeroDivisionError: division by zero'],
};

describe('cellResults', () => {
  it('maps papermill states, errors and times', () => {
    const nb = notebook([
      code('print(1)', [stdout('1\n')], {
        metadata: { papermill: { status: 'completed', duration: 0.25 } },
      }),
      code('1/0', [error], {
        metadata: { papermill: { status: 'failed', duration: 0.01, exception: true } },
      }),
      code('print(2)', [], { metadata: { papermill: { status: 'pending' } } }),
      code('# NBVAL_RAISES_EXCEPTION\nok()', [], {
        metadata: { papermill: { status: 'completed' } },
      }),
    ]);
    const r = cellResults(nb);
    assert.deepEqual(
      r.map((c) => c.status),
      ['Success', 'Failure', 'Skipped', 'Failure'],
    );
    assert.equal(r[0]?.executionTime, '250ms');
    assert.deepEqual(r[0]?.outputTypes, ['stream:stdout']);
    assert.equal(r[1]?.errorMessage, 'ZeroDivisionError: division by zero');
    assert.equal(r[1]?.traceback, 'Traceback\nZeroDivisionError: division by zero');
    assert.equal(r[3]?.errorName, 'NoException');
  });
});

describe('validationConfig checks', () => {
  const valued = (info: object, plain: string) =>
    result(plain, { 'application/vnd.nbv.value+json': info });
  const nb = notebook([
    code('warn()', [
      { output_type: 'stream', name: 'stderr', text: 'x.py:3: DeprecationWarning: old\n' },
    ]),
    code('df', [
      valued(
        {
          types: ['pandas.core.frame.DataFrame', 'pandas.core.generic.NDFrame'],
          shape: [100, 5],
          empty: false,
        },
        'df',
      ),
    ]),
    code('v', [valued({ types: ['builtins.float'], value: 0.5 }, '0.5')]),
    code('print()', []),
  ]);
  it('fails on stderr, on warnings, and on expected outputs that do not hold', () => {
    const config = ValidationConfig.parse({
      failOnWarnings: true,
      expectedOutputs: [
        { cell: 1, type: 'pandas.DataFrame', shape: '-1,5', notEmpty: true },
        { cell: 2, type: 'float', minValue: '0.6' },
        { cell: 3, notEmpty: true },
        { cell: 9 },
      ],
    });
    const failures = validationChecks(nb, config);
    assert.deepEqual(
      failures.map((f) => [f.cellIndex, f.check]),
      [
        [0, 'failOnWarnings'],
        [2, 'expectedOutputs'],
        [3, 'expectedOutputs'],
        [9, 'expectedOutputs'],
      ],
    );
    assert.match(failures[1]?.message ?? '', /value 0.5 is below minValue 0.6/);
    assert.equal(
      validationChecks(nb, ValidationConfig.parse({ failOnStderr: true }))[0]?.check,
      'failOnStderr',
    );
    assert.equal(validationChecks(nb, ValidationConfig.parse({})).length, 0);
    const marked = applyChecks(cellResults(nb), failures);
    assert.deepEqual(
      marked.map((r) => r.status),
      ['Failure', 'Success', 'Failure', 'Failure'],
    );
  });
  it('matches type names and shapes as users write them', () => {
    assert.ok(typeMatches('pandas.DataFrame', ['pandas.core.frame.DataFrame']));
    assert.ok(typeMatches('numpy.ndarray', ['numpy.ndarray']));
    assert.ok(!typeMatches('list', ['builtins.dict']));
    assert.ok(
      shapeMatches('(100, 5)', [100, 5]) &&
        shapeMatches('-1,5', [7, 5]) &&
        !shapeMatches('-1,5', [7, 4]),
    );
  });
});

function report(results: number): ValidationReport {
  return {
    status: {
      phase: 'Failed',
      message: 'cell 1 failed: ZeroDivisionError: division by zero',
      results: Array.from({ length: results }, (_, i) => ({
        cellIndex: i,
        status: i === 1 ? ('Failure' as const) : ('Success' as const),
        executionTime: '1.5s',
        ...(i === 1
          ? {
              errorName: 'ZeroDivisionError',
              errorMessage: 'ZeroDivisionError: division by zero',
              traceback: 'Traceback <here> & "there"',
            }
          : {}),
      })),
    },
    reason: 'CellFailed',
    notebookPath: 'nb.ipynb',
    sources: [],
  };
}

describe('termination message', () => {
  it('carries the whole status when it fits and a summary when it does not', () => {
    const small = summarize(report(3));
    assert.equal(small.complete, true);
    assert.deepEqual(small.failedCells, [1]);
    const big = summarize(report(400));
    assert.equal(big.complete, false);
    assert.equal(big.status, undefined);
    assert.ok(JSON.stringify(big).length <= TERMINATION_MESSAGE_LIMIT);
    assert.deepEqual(big.cells, { total: 400, succeeded: 399, failed: 1, skipped: 0 });
    const parsed = parseTerminationMessage(JSON.stringify(big));
    assert.ok(parsed.ok && parsed.summary.phase === 'Failed');
  });
  it('tells an unreadable message apart from a report', () => {
    for (const text of ['', '{"phase": "Failed"', '{"phase": "Failed"}', 'GitRefNotFound: ref x']) {
      const parsed = parseTerminationMessage(text);
      assert.equal(parsed.ok, false, text);
    }
  });
  it('finds the status line in a log', () => {
    const line = statusJson(report(2).status);
    assert.equal(parseReportLog(`some warning\n${line}\n`)?.phase, 'Failed');
    assert.equal(parseReportLog('nothing here'), undefined);
  });
});

describe('junitXml', () => {
  it('has one testcase per code cell with the failure and its traceback, escaped', () => {
    const xml = junitXml(report(3), 'job');
    assert.equal((xml.match(/<testcase /g) ?? []).length, 3);
    assert.match(
      xml,
      /<testsuite name="job" tests="3" failures="1" errors="0" skipped="0" time="4.500">/,
    );
    assert.match(
      xml,
      /<testcase classname="nb.ipynb" name="cell 1" time="1.500"><failure type="ZeroDivisionError" message="ZeroDivisionError: division by zero">Traceback &lt;here&gt; &amp; &quot;there&quot;<\/failure>/,
    );
  });
});
