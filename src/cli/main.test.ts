import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { CliIo } from './io.ts';
import { main } from './main.ts';

function io(): CliIo & { err: () => string } {
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stdout: new PassThrough(), stderr, cwd: '/', env: {}, isTTY: false, err: () => text };
}

describe('nbv', () => {
  it('answers a flag a command does not know with usage (exit 2), not an internal error', async () => {
    for (const command of ['run', 'report', 'validate', 'render', 'crds', 'setup', 'doctor']) {
      const cli = io();
      assert.equal(await main([command, '--bogus'], cli), 2, command);
      assert.match(cli.err(), new RegExp(`^nbv ${command}: .*--bogus[^]*Usage: nbv ${command}`));
    }
  });
});
