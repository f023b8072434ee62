// `nbv model inspect` through the CLI entry point: output, exit codes, termination message.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { CliIo } from '../cli/io.ts';
import { main } from '../cli/main.ts';
import { TINY_LLAMA_CONFIG, tempDir, writeSafetensors } from './fixtures.ts';
import { parseInspectResult } from './report.ts';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

async function nbv(args: string[], cwd: string) {
  const out = capture();
  const err = capture();
  const io: CliIo = { stdout: out.stream, stderr: err.stream, cwd, env: {}, isTTY: false };
  const code = await main(['model', ...args], io);
  return { code, stdout: out.text(), stderr: err.text() };
}

let dir = '';
let cleanup = async () => {};
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

async function model(): Promise<string> {
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(TINY_LLAMA_CONFIG));
  await writeFile(path.join(dir, 'tokenizer.json'), '{}');
  await writeSafetensors(path.join(dir, 'model.safetensors'), [
    { name: 'w', dtype: 'BF16', shape: [10, 10] },
  ]);
  return dir;
}

describe('nbv model inspect', () => {
  it('prints a table and exits 0', async () => {
    await model();
    const r = await nbv(['inspect', '.'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Architecture {2}LlamaForCausalLM$/m);
    assert.match(r.stdout, /^Parameters {4}100 \(100, from safetensors headers\)$/m);
  });

  it('prints JSON with --json', async () => {
    await model();
    const r = await nbv(['inspect', dir, '--json'], '/');
    assert.equal(r.code, 0);
    const json = JSON.parse(r.stdout) as {
      parameterCount: number;
      metadata: { modelType: string };
    };
    assert.equal(json.parameterCount, 100);
    assert.equal(json.metadata.modelType, 'llama');
  });

  it('writes the termination message, and exits 0 even with findings', async () => {
    await model();
    await import('node:fs/promises').then((fs) => fs.rm(path.join(dir, 'tokenizer.json')));
    const out = path.join(dir, 'termination-log');
    const r = await nbv(['inspect', dir, '--termination-message', out], '/');
    assert.equal(r.code, 0);
    const text = await readFile(out, 'utf8');
    assert.ok(Buffer.byteLength(text) <= 4096);
    const result = parseInspectResult(text);
    assert.ok(result.ok);
    assert.equal(result.parameterCount, 100);
    assert.deepEqual(
      result.findings.map((f) => f.code),
      ['tokenizer-missing'],
    );
  });

  it('exits 1 for a directory that is not a model, with the reason in the termination message', async () => {
    const out = path.join(dir, 'termination-log');
    const r = await nbv(['inspect', dir, '--termination-message', out], '/');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^nbv model inspect: no model config in /);
    const result = parseInspectResult(await readFile(out, 'utf8'));
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.reason === 'no-config');

    await writeFile(path.join(dir, 'weights.bin'), 'x');
    const file = await nbv(['inspect', 'weights.bin'], dir);
    assert.equal(file.code, 1);
    assert.match(file.stderr, /weights\.bin is not a directory/);
  });

  it('exits 2 for bad usage', async () => {
    for (const args of [
      [],
      ['inspect'],
      ['inspect', 'a', 'b'],
      ['inspect', '--nope', 'a'],
      ['frobnicate'],
      ['inspect', 'a', '--max-header-bytes', '-1'],
    ]) {
      const r = await nbv(args, dir);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.notEqual(r.stderr, '');
    }
    const help = await nbv(['inspect', '--help'], dir);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: nbv model inspect DIR/);
  });

  it('passes --max-header-bytes to the reader', async () => {
    await model();
    const r = await nbv(['inspect', dir, '--json', '--max-header-bytes', '8'], '/');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /exceeds the 8-byte limit/);
  });
});
