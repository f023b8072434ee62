// Bad input through `nbv run`, each with a clear error naming the cause: malformed ipynb,
// nbformat 3, a missing kernel, a ref or notebook path that does not exist, a missing Python,
// an invalid job, a 100 MB output; and git credentials from a Secret in the YAML stream.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GitServer } from '../../src/local/git-http-server.ts';
import { jobManifest, nbv, notebookJson, runSample, serveFiles } from './helpers.ts';

const FILES = {
  'malformed.ipynb': '{"nbformat": 4, "cells": [',
  'v3.ipynb': JSON.stringify({ nbformat: 3, nbformat_minor: 0, metadata: {}, worksheets: [] }),
  'julia.ipynb': notebookJson(['1 + 1'], {
    name: 'julia-1.9',
    display_name: 'Julia',
    language: 'julia',
  }),
  'big-output.ipynb': notebookJson(["print('x' * (100 * 1024 * 1024))"]),
  'ok.ipynb': notebookJson(["print('ok')"]),
  'write-ro.ipynb': notebookJson(["open('/data/x', 'w').write('x')"]),
};

let open: GitServer;
let locked: GitServer;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nbv-bad-'));
  open = await serveFiles(FILES, 'bad.git');
  locked = await serveFiles(FILES, 'bad.git', { username: 'alice', password: 's3cret' });
});
after(async () => {
  await open?.close();
  await locked?.close();
});

/** A job for `path` in the open repository unless another URL is given. */
function job(
  name: string,
  spec: { url?: string; ref?: string; path: string; secret?: string; extra?: string },
): Promise<string> {
  return jobManifest(dir, name, { ...spec, url: spec.url ?? `${open.url}/bad.git` });
}

describe('bad input', () => {
  it('malformed ipynb JSON', async () => {
    const r = await runSample(await job('malformed', { path: 'malformed.ipynb' }), 'bad-malformed');
    assert.equal(r.code, 1);
    assert.match(
      r.status?.message ?? '',
      /^MalformedNotebook: malformed\.ipynb is not a notebook: malformed JSON/,
    );
  });

  it('nbformat 3', async () => {
    const r = await runSample(await job('v3', { path: 'v3.ipynb' }), 'bad-v3');
    assert.match(
      r.status?.message ?? '',
      /^UnsupportedNotebook: v3\.ipynb is nbformat 3; .*nbconvert --to notebook --nbformat 4/,
    );
  });

  it('a kernel that is not installed', async () => {
    const r = await runSample(await job('julia', { path: 'julia.ipynb' }), 'bad-kernel');
    assert.match(
      r.status?.message ?? '',
      /^KernelNotFound: kernel "julia-1\.9" named by julia\.ipynb \(metadata\.kernelspec\.name\) is not installed; installed kernels: .*python3/,
    );
  });

  it('a ref that does not exist', async () => {
    const r = await runSample(
      await job('noref', { path: 'ok.ipynb', ref: 'no-such-branch' }),
      'bad-ref',
    );
    assert.equal(r.code, 1);
    assert.match(
      r.status?.message ?? '',
      /^git-clone failed: ref no-such-branch is not a branch, tag or commit of http:\/\/127\.0\.0\.1:\d+\/bad\.git/,
    );
  });

  it('a notebook path absent from the repository', async () => {
    const r = await runSample(await job('nopath', { path: 'missing/notebook.ipynb' }), 'bad-path');
    assert.equal(r.code, 1);
    assert.match(
      r.status?.message ?? '',
      /^git-clone failed: missing\/notebook\.ipynb does not exist in .* at main/,
    );
  });

  it('a missing Python', async () => {
    const r = await nbv([
      'run',
      await job('nopython', { path: 'ok.ipynb' }),
      '--python',
      '/nonexistent/python3',
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /NBV_PYTHON=\/nonexistent\/python3: no such file/);
  });

  it('an invalid job gets the admission errors and exit 2', async () => {
    const r = await nbv(['run', await job('bad-spec', { path: 'ok.txt', url: 'file:///tmp/x' })]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /spec\.notebook\.git\.url: must be an https:\/\/, http:\/\/, ssh:\/\/, git:\/\/ or git@host: URL/,
    );
    assert.match(r.stderr, /spec\.notebook\.path: must be a path ending in \.ipynb/);
  });

  it('a 100 MB output is refused with the cell named, in bounded memory', async () => {
    const before = process.memoryUsage().rss;
    const r = await runSample(await job('big', { path: 'big-output.ipynb' }), 'bad-big-output');
    assert.equal(r.code, 1);
    assert.match(
      r.status?.message ?? '',
      /executed notebook: 100\.\d MiB is over nbv's limit of 64\.0 MiB for a notebook; cell 0 alone holds 100\.\d MiB/,
    );
    assert.ok(
      process.memoryUsage().rss - before < 64 * 1024 * 1024,
      'the notebook was never loaded',
    );
  });

  it('https credentials come from a Secret in the same YAML stream', async () => {
    const secret = (password: string) => `---
apiVersion: v1
kind: Secret
metadata:
  name: git-creds
stringData:
  username: alice
  password: ${password}
`;
    const good = await runSample(
      await job('creds', {
        url: `${locked.url}/bad.git`,
        path: 'ok.ipynb',
        secret: 'git-creds',
        extra: secret('s3cret'),
      }),
      'creds-ok',
    );
    assert.equal(good.code, 0, good.stdout + good.stderr);
    const bad = await runSample(
      await job('creds-bad', {
        url: `${locked.url}/bad.git`,
        path: 'ok.ipynb',
        secret: 'git-creds',
        extra: secret('wrong'),
      }),
      'creds-bad',
    );
    assert.equal(bad.code, 1);
    assert.match(bad.status?.message ?? '', /^git-clone failed: authentication to .* failed/);
  });

  it('a read-only volume mount is read-only for the notebook', async () => {
    const extra = `    volumes:
      - name: data
        persistentVolumeClaim:
          claimName: datasets
    volumeMounts:
      - name: data
        mountPath: /data
        readOnly: true
`;
    const file = await job('readonly', { path: 'write-ro.ipynb' });
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace(
        '    containerImage: python:3.11\n',
        `    containerImage: python:3.11\n${extra}`,
      ),
    );
    const r = await runSample(file, 'readonly');
    assert.equal(r.code, 1);
    assert.match(
      r.status?.results?.[0]?.errorMessage ?? '',
      /OSError: \[Errno 30\] Read-only file system: '\/data\/x'/,
    );
  });
});
