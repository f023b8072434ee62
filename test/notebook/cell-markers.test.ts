// What papermill and ipykernel really write for the cells the unit tests describe by hand:
// expected exceptions (raises-exception, nbval's marker and tag), a marked cell that raises
// nothing, a warning on stderr, and the value nbv's display formatter records.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GitServer } from '../../src/local/git-http-server.ts';
import { jobManifest, notebookJson, runSample, serveFiles } from './helpers.ts';

const FILES = {
  'expected.ipynb': notebookJson([
    "print('before')",
    { source: '1 / 0', tags: ['raises-exception'] },
    "# NBVAL_RAISES_EXCEPTION\nraise ValueError('expected')",
    { source: "{}['missing']", tags: ['nbval-raises-exception'] },
    "print('after')",
  ]),
  'no-exception.ipynb': notebookJson(['# NBVAL_RAISES_EXCEPTION\nx = 1', "print('after')"]),
  'unexpected.ipynb': notebookJson([
    { source: '1 / 0', tags: ['raises-exception'] },
    "raise KeyError('real')",
    "print('never')",
  ]),
  'checks.ipynb': notebookJson(["import warnings\nwarnings.warn('old API')", '[1, 2, 3]']),
};

let server: GitServer;
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nbv-markers-'));
  server = await serveFiles(FILES, 'markers.git');
});
after(() => server?.close());

function run(path: string, extra?: string) {
  const name = `markers-${path.replace('.ipynb', '')}`;
  return jobManifest(dir, name, {
    url: `${server.url}/markers.git`,
    path,
    ...(extra ? { extra } : {}),
  }).then((file) => runSample(file, name));
}

describe('cell markers with a real kernel', () => {
  it('expected exceptions do not fail the job, and the cells after them run', async () => {
    const r = await run('expected.ipynb');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.status?.phase, 'Succeeded');
    assert.deepEqual(
      r.status?.results?.map((c) => [c.cellIndex, c.status]),
      [
        [0, 'Success'],
        [1, 'Success'],
        [2, 'Success'],
        [3, 'Success'],
        [4, 'Success'],
      ],
    );
    assert.equal(r.status?.results?.[4]?.output, 'after\n');
  });

  it('a cell marked to raise that raises nothing fails', async () => {
    const r = await run('no-exception.ipynb');
    assert.equal(r.code, 1);
    assert.match(r.status?.message ?? '', /^cell 0 failed: NoException: /);
    assert.deepEqual(
      r.status?.results?.map((c) => c.status),
      ['Failure', 'Success'],
    );
  });

  it('an unexpected error after an expected one fails at its cell', async () => {
    const r = await run('unexpected.ipynb');
    assert.equal(r.code, 1);
    assert.match(r.status?.message ?? '', /^cell 1 failed: KeyError: 'real'/);
    assert.deepEqual(
      r.status?.results?.map((c) => c.status),
      ['Success', 'Failure', 'Skipped'],
    );
  });

  it('failOnWarnings sees a warning on stderr; expectedOutputs sees the displayed value', async () => {
    const r = await run(
      'checks.ipynb',
      `  validationConfig:
    failOnWarnings: true
    expectedOutputs:
      - { cell: 1, type: list, shape: "3", notEmpty: true }
      - { cell: 1, type: dict }
`,
    );
    assert.equal(r.code, 1);
    const [warned, value] = r.status?.results ?? [];
    assert.equal(warned?.errorName, 'ValidationCheck');
    assert.match(
      warned?.errorValue ?? '',
      /^failOnWarnings: emitted a warning: .*UserWarning: old API/,
    );
    assert.equal(value?.errorValue, 'expectedOutputs: expected type dict, got builtins.list');
  });
});
