// More samples with real kernels: parameters, timestamps and floats, and the training notebook
// that writes a model to the PVC mount.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runSample, useSamples } from './helpers.ts';

const samples = useSamples();

describe('samples, part 2', () => {
  it('parameterised injects the parameters and checks the expected output', async () => {
    const r = await runSample(await samples.manifest('parameterised'), 'parameterised');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const cells = r.status?.results ?? [];
    assert.deepEqual(
      cells.map((c) => c.cellIndex),
      [1, 2, 3],
      'the injected cell is not a result',
    );
    assert.equal(cells[1]?.output, 'Hello, nbv!\nHello, nbv!\n');
    assert.equal(cells[2]?.output, '25.0\n');
  });

  it('timestamps and floats pass the normalized strategy', async () => {
    const r = await runSample(
      await samples.manifest('timestamps-normalized'),
      'timestamps-normalized',
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.status?.comparisonResult?.result, 'matched');
  });

  it('timestamps and floats fail the exact strategy', async () => {
    const r = await runSample(await samples.manifest('timestamps-exact'), 'timestamps-exact');
    assert.equal(r.code, 1);
    const diffs = r.status?.comparisonResult?.diffs ?? [];
    assert.deepEqual(
      diffs.map((d) => d.cellIndex),
      [1, 2, 3],
    );
    assert.match(diffs[2]?.diff ?? '', /^-1\.0$\n^\+0\.9999999999999999$/m);
  });

  it('training saves a Hugging Face layout model to the claim directory', async () => {
    const r = await runSample(await samples.manifest('training'), 'training');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const model = join(r.cwd, '.nbv', 'volumes', 'trained-models', 'char-bigram');
    const config = JSON.parse(await readFile(join(model, 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    for (const key of [
      'model_type',
      'architectures',
      'torch_dtype',
      'max_position_embeddings',
      'hidden_size',
      'num_hidden_layers',
      'num_attention_heads',
      'vocab_size',
      'transformers_version',
    ]) {
      assert.ok(key in config, key);
    }
    const weights = await readFile(join(model, 'model.safetensors'));
    const headerLength = Number(weights.readBigUInt64LE(0));
    const header = JSON.parse(weights.subarray(8, 8 + headerLength).toString()) as Record<
      string,
      { shape: number[]; data_offsets: [number, number] }
    >;
    const tensors = Object.entries(header).filter(([k]) => k !== '__metadata__');
    const end = Math.max(...tensors.map(([, t]) => t.data_offsets[1]));
    assert.equal(
      8 + headerLength + end,
      weights.length,
      'header and data account for the whole file',
    );
    assert.deepEqual(header['lm_head.weight']?.shape, [config.vocab_size, config.hidden_size]);
    const tokenizer = JSON.parse(await readFile(join(model, 'tokenizer.json'), 'utf8')) as {
      model: { type: string };
    };
    assert.equal(tokenizer.model.type, 'WordLevel');
    // The ConfigMap from the same YAML stream is mounted at /config.
    assert.equal(r.status?.results?.find((c) => c.cellIndex === 2)?.output, 'max_iter: 300\n');
  });
});
