// The samples with real git (loopback http), real papermill and ipykernel, in the sandbox.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runSample, useSamples } from './helpers.ts';

const samples = useSamples();

describe('samples, part 1', () => {
  it('hello-world succeeds with a result per code cell', async () => {
    const r = await runSample(await samples.manifest('hello-world'), 'hello-world');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.status?.phase, 'Succeeded');
    assert.deepEqual(
      r.status?.results?.map((c) => [c.cellIndex, c.status, c.output]),
      [
        [1, 'Success', 'Hello, World!\n'],
        [2, 'Success', '42\n'],
      ],
    );
    assert.match(r.status?.results?.[0]?.executionTime ?? '', /^\d+(\.\d+)?m?s$/);
  });

  it('failing names the failing cell and its traceback in every report', async () => {
    const r = await runSample(await samples.manifest('failing'), 'failing');
    assert.equal(r.code, 1);
    assert.equal(r.status?.phase, 'Failed');
    assert.match(r.status?.message ?? '', /^cell 3 failed: ZeroDivisionError: division by zero/);
    const cells = r.status?.results ?? [];
    assert.deepEqual(
      cells.map((c) => c.status),
      ['Success', 'Success', 'Failure', 'Skipped'],
    );
    const failed = cells[2];
    assert.equal(failed?.cellIndex, 3);
    assert.equal(failed?.errorName, 'ZeroDivisionError');
    assert.match(
      failed?.traceback ?? '',
      /result = numerator \/ denominator[\s\S]*ZeroDivisionError: division by zero/,
    );
    assert.ok(!(failed?.traceback ?? '').includes('\u001b['), 'ANSI colours are stripped');
    const junit = await readFile(join(r.reportDir, 'junit.xml'), 'utf8');
    assert.match(
      junit,
      /name="cell 3" time="[\d.]+"><failure type="ZeroDivisionError" message="ZeroDivisionError: division by zero">[\s\S]*denominator/,
    );
    assert.match(junit, /name="cell 4"[^>]*><skipped/);
    const json = JSON.parse(await readFile(join(r.reportDir, 'report.json'), 'utf8')) as {
      results: { cellIndex: number; traceback?: string }[];
    };
    assert.match(json.results[2]?.traceback ?? '', /ZeroDivisionError/);
  });

  it('golden-match matches the golden notebook', async () => {
    const r = await runSample(await samples.manifest('golden-match'), 'golden-match');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(r.status?.comparisonResult, {
      strategy: 'normalized',
      result: 'matched',
      totalCells: 2,
      matchedCells: 2,
      mismatchedCells: 0,
    });
  });

  it('golden-mismatch lists each differing cell with a diff', async () => {
    const r = await runSample(await samples.manifest('golden-mismatch'), 'golden-mismatch');
    assert.equal(r.code, 1);
    assert.match(
      r.status?.message ?? '',
      /golden comparison \(normalized\) failed: 2 of 2 code cells differ/,
    );
    const diffs = r.status?.comparisonResult?.diffs ?? [];
    assert.deepEqual(
      diffs.map((d) => [d.cellIndex, d.cellType, d.diffType, d.severity]),
      [
        [1, 'code', 'output_mismatch', 'major'],
        [2, 'code', 'output_mismatch', 'major'],
      ],
    );
    assert.match(diffs[0]?.diff ?? '', /^-Hello, nbv 0\.1!$/m);
    assert.match(diffs[0]?.diff ?? '', /^\+Hello, World!$/m);
    assert.match(diffs[1]?.diff ?? '', /^-41$/m);
    assert.match(diffs[1]?.expected ?? '', /41/);
    assert.match(diffs[1]?.actual ?? '', /42/);
  });

  it('without a sandbox (NBV_SANDBOX=none) a job without volumes runs as plain processes', async () => {
    const r = await runSample(await samples.manifest('hello-world'), 'no-sandbox', [], {
      NBV_SANDBOX: 'none',
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /no sandbox: NBV_SANDBOX=none/);
    assert.equal(r.status?.results?.[0]?.output, 'Hello, World!\n');
  });

  it('without a sandbox a job with volumeMounts stops with the volume named', async () => {
    const r = await runSample(await samples.manifest('training'), 'no-sandbox-volumes', [], {
      NBV_SANDBOX: 'none',
    });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /cannot mount volume "model-output" at \/models without a sandbox: NBV_SANDBOX=none/,
    );
  });
});
