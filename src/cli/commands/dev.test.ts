import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { UserError } from '../../errors.ts';
import type { CliIo } from '../io.ts';
import { run } from './dev.ts';

const cwd = mkdtempSync(join(tmpdir(), 'nbv-dev-cli-'));
after(() => rmSync(cwd, { recursive: true, force: true }));

function io(): CliIo & { out: () => string } {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stdout, stderr: new PassThrough(), cwd, env: {}, isTTY: false, out: () => text };
}

describe('nbv dev cluster', () => {
  it('status says when no cluster runs, and fails', async () => {
    const cli = io();
    assert.equal(await run(['cluster', 'status'], cli), 1);
    assert.equal(cli.out(), `no dev cluster is running (state in ${cwd}/.nbv/dev-cluster)\n`);
  });

  it('down is a no-op when nothing runs', async () => {
    const cli = io();
    assert.equal(await run(['cluster', 'down', '--state-dir', 'elsewhere'], cli), 0);
    assert.match(cli.out(), /no dev cluster was running \(state in .*\/elsewhere\)/);
  });

  it('rejects unknown actions, flags and ports as user errors', async () => {
    await assert.rejects(run(['cluster', 'restart'], io()), UserError);
    await assert.rejects(run(['cluster', 'up', '--bogus'], io()), UserError);
    await assert.rejects(run(['cluster', 'up', '--port', '70000'], io()), /not a TCP port/);
  });
});
