import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { largestCell, parseNotebook, readNotebook } from './ipynb.ts';

describe('parseNotebook', () => {
  it('names malformed JSON with its line and column', () => {
    assert.throws(
      () => parseNotebook('{\n "nbformat": 4\n "cells": []\n}', 'x.ipynb'),
      /x\.ipynb: not a notebook: malformed JSON at line 3, column 2/,
    );
    assert.throws(
      () => parseNotebook('{"cells": [,]}', 'y.ipynb'),
      /y\.ipynb: not a notebook: malformed JSON \(Unexpected token/,
    );
  });
  it('refuses nbformat 3 with the conversion command', () => {
    assert.throws(
      () => parseNotebook('{"nbformat": 3, "worksheets": []}', 'old.ipynb'),
      /old\.ipynb: nbformat 3 is not supported .*nbconvert --to notebook --nbformat 4/,
    );
  });
  it('refuses JSON that is not a notebook', () => {
    assert.throws(() => parseNotebook('[1]', 'a'), /the JSON is not an object/);
    assert.throws(() => parseNotebook('{"nbformat": 4}', 'a'), /"cells" is missing/);
    assert.throws(
      () => parseNotebook('{"nbformat": 4, "cells": [{"source": ""}]}', 'a'),
      /cell 0 has no cell_type/,
    );
  });
  it('reads a valid notebook and fills missing metadata', () => {
    const nb = parseNotebook(
      '{"nbformat": 4, "nbformat_minor": 5, "cells": [{"cell_type": "code", "source": ["a", "b"], "outputs": []}]}',
      'a',
    );
    assert.deepEqual(nb.cells[0]?.metadata, {});
  });
});

describe('readNotebook limits', () => {
  it('refuses a notebook over the limit and names the cell with the bulk, in bounded memory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nbv-ipynb-'));
    const path = join(dir, 'big.ipynb');
    const big = 'x'.repeat(200_000);
    const cells = [0, 1, 2].map((i) => ({
      cell_type: 'code',
      source: `c${i}`,
      metadata: {},
      outputs: i === 2 ? [{ output_type: 'stream', name: 'stdout', text: big }] : [],
    }));
    await writeFile(
      path,
      JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: { a: '"cells" [' }, cells }),
    );
    assert.equal((await largestCell(path))?.index, 2);
    await assert.rejects(
      readNotebook(path, 'executed notebook', 100_000),
      /executed notebook: 0\.2 MiB is over nbv's limit of 0\.1 MiB .*cell 2 alone holds 0\.2 MiB/,
    );
  });
  it('names a missing file', async () => {
    await assert.rejects(
      readNotebook('/nonexistent/a.ipynb', 'golden notebook'),
      /golden notebook: no such file/,
    );
  });
});
