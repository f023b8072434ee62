import assert from 'node:assert/strict';
import { rm, symlink, truncate } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  TINY_LLAMA_CONFIG,
  prng,
  randomTensors,
  shardName,
  tempDir,
  writeRawSafetensors,
  writeSafetensors,
  writeModelFile,
  writeShardedModel,
  type TensorSpec,
} from './fixtures.ts';
import { NotAModelError, inspectModel } from './inspect.ts';
import type { ModelInspection } from './types.ts';

let dir = '';
let cleanup = async () => {};
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

const put = (rel: string, body: unknown) => writeModelFile(dir, rel, body);

/** A Llama config and a tokenizer: a model directory short of its weights. */
async function baseModel(sub = ''): Promise<string> {
  const at = path.join(dir, sub);
  await put(path.join(sub, 'config.json'), TINY_LLAMA_CONFIG);
  await put(path.join(sub, 'tokenizer.json'), '{}');
  return at;
}

const codes = (i: ModelInspection) => i.findings.map((f) => f.code);

function finding(i: ModelInspection, code: string) {
  const f = i.findings.find((x) => x.code === code);
  assert.ok(f, `expected a ${code} finding, got ${JSON.stringify(i.findings)}`);
  return f;
}

async function notAModel(target: string, reason: string, pattern: RegExp) {
  await assert.rejects(inspectModel(target), (err: unknown) => {
    assert.ok(err instanceof NotAModelError, String(err));
    assert.equal(err.reason, reason);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('inspectModel on generated safetensors models', () => {
  it('counts a single-file model exactly', async () => {
    await baseModel();
    const tensors = randomTensors(prng(1), 40);
    const written = await writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
    const i = await inspectModel(dir);
    assert.deepEqual(i.findings, []);
    assert.equal(i.parameterCount, written.parameters);
    assert.equal(i.parameterSource, 'safetensors');
    assert.equal(i.memory?.weightsBytes, written.dataLength);
    assert.deepEqual(i.weightFiles, ['model.safetensors']);
    assert.deepEqual(i.metadata, {
      modelType: 'llama',
      modelArchitecture: 'LlamaForCausalLM',
      modelFormat: { name: 'safetensors', version: '1.0.0' },
      modelFramework: { name: 'transformers', version: '4.44.0' },
      modelCapabilities: ['TEXT_TO_TEXT'],
      maxTokens: 2048,
      modelParameterSize: i.metadata.modelParameterSize,
    });
  });

  it('counts random sharded models exactly, through the index', async () => {
    for (const seed of [2, 3, 4]) {
      const random = prng(seed);
      const sub = `m${seed}`;
      const at = await baseModel(sub);
      const shardCount = 1 + Math.floor(random() * 9);
      const shards = Array.from({ length: shardCount }, (_, s) =>
        randomTensors(random, 1 + Math.floor(random() * 30), `s${s}`),
      );
      const written = await writeShardedModel(at, shards);
      const i = await inspectModel(at);
      assert.deepEqual(i.findings, [], `seed ${seed}`);
      assert.equal(i.parameterCount, written.parameters, `seed ${seed}`);
      assert.equal(i.memory?.weightsBytes, written.dataLength);
      assert.equal(i.weightFiles.length, shardCount);
    }
  });

  it('counts every shard when there is no index', async () => {
    await baseModel();
    const shards = [randomTensors(prng(5), 10, 'a'), randomTensors(prng(6), 12, 'b')];
    const written = await writeShardedModel(dir, shards, { index: false });
    const i = await inspectModel(dir);
    assert.equal(i.parameterCount, written.parameters);
    assert.equal(i.weightFiles.length, 2);
  });

  it('uses the default file when variants (model.fp16.safetensors) sit beside it', async () => {
    await baseModel();
    const w = await writeSafetensors(path.join(dir, 'model.safetensors'), [
      { name: 'w', dtype: 'F32', shape: [10] },
    ]);
    await writeSafetensors(path.join(dir, 'model.fp16.safetensors'), [
      { name: 'w', dtype: 'F16', shape: [10] },
    ]);
    const i = await inspectModel(dir);
    assert.equal(i.parameterCount, w.parameters);
    assert.deepEqual(i.weightFiles, ['model.safetensors']);
  });

  it('finds config and weights in a sub-folder', async () => {
    const at = await baseModel('model');
    const w = await writeSafetensors(path.join(at, 'model.safetensors'), randomTensors(prng(7), 5));
    const i = await inspectModel(dir);
    assert.equal(i.configFile, 'model/config.json');
    assert.deepEqual(i.weightFiles, ['model/model.safetensors']);
    assert.equal(i.parameterCount, w.parameters);
  });

  it('tolerates NaN and Infinity in config.json', async () => {
    await put(
      'config.json',
      JSON.stringify(TINY_LLAMA_CONFIG).replace(
        '"torch_dtype"',
        '"rope_theta": NaN, "x": -Infinity, "torch_dtype"',
      ),
    );
    await put('tokenizer.json', '{}');
    const i = await inspectModel(dir);
    assert.equal(i.metadata.modelType, 'llama');
    assert.equal(i.parameterSource, 'config-estimate');
  });

  it('reads a sentence-transformers sidecar and hf_quant_config.json', async () => {
    await baseModel();
    await put('config_sentence_transformers.json', { similarity_fn_name: 'cosine' });
    await put('hf_quant_config.json', {
      producer: { name: 'modelopt' },
      quantization: { quant_algo: 'FP8' },
    });
    await writeSafetensors(path.join(dir, 'model.safetensors'), [
      { name: 'w', dtype: 'F8_E4M3', shape: [4] },
    ]);
    const i = await inspectModel(dir);
    assert.deepEqual(i.metadata.modelCapabilities, ['EMBEDDING']);
    assert.equal(i.metadata.quantization, 'fp8');
    assert.equal(i.memory?.kvCacheBytes, 0);
  });

  it('inspects a diffusers pipeline across its components', async () => {
    await put('model_index.json', {
      _class_name: 'StableDiffusionPipeline',
      _diffusers_version: '0.30.0',
      scheduler: ['diffusers', 'PNDMScheduler'],
      text_encoder: ['transformers', 'CLIPTextModel'],
      tokenizer: ['transformers', 'CLIPTokenizer'],
      unet: ['diffusers', 'UNet2DConditionModel'],
      vae: ['diffusers', 'AutoencoderKL'],
      safety_checker: [null, null],
    });
    await put('scheduler/scheduler_config.json', {});
    await put('tokenizer/vocab.json', {});
    await put('text_encoder/config.json', { model_type: 'clip_text_model' });
    const a = await writeSafetensors(
      path.join(dir, 'text_encoder/model.safetensors'),
      randomTensors(prng(8), 5),
    );
    const b = await writeSafetensors(
      path.join(dir, 'unet/diffusion_pytorch_model.safetensors'),
      randomTensors(prng(9), 5),
    );
    await writeSafetensors(
      path.join(dir, 'unet/diffusion_pytorch_model.fp16.safetensors'),
      randomTensors(prng(9), 5),
    );
    const c = await writeSafetensors(
      path.join(dir, 'vae/diffusion_pytorch_model.safetensors'),
      randomTensors(prng(10), 5),
    );
    const i = await inspectModel(dir);
    assert.deepEqual(i.findings, []);
    assert.equal(i.layout, 'diffusers');
    assert.equal(i.parameterCount, a.parameters + b.parameters + c.parameters);
    assert.deepEqual(i.metadata.modelCapabilities, ['TEXT_TO_IMAGE']);
    assert.deepEqual(i.metadata.modelFramework, { name: 'diffusers', version: '0.30.0' });
    assert.deepEqual(i.metadata.diffusionPipeline, {
      className: 'StableDiffusionPipeline',
      scheduler: { library: 'diffusers', type: 'PNDMScheduler' },
      textEncoder: { library: 'transformers', type: 'CLIPTextModel' },
      tokenizer: { library: 'transformers', type: 'CLIPTokenizer' },
      vae: { library: 'diffusers', type: 'AutoencoderKL' },
      additionalComponents: { unet: { library: 'diffusers', type: 'UNet2DConditionModel' } },
    });
  });
});

describe('inspectModel on bad input', () => {
  it('refuses a path that does not exist, or is a file', async () => {
    await notAModel(path.join(dir, 'nope'), 'not-found', /nope does not exist/);
    await put('file.bin', 'x');
    await notAModel(path.join(dir, 'file.bin'), 'not-a-directory', /file\.bin is not a directory/);
  });

  it('refuses a directory without a config', async () => {
    await put('README.md', 'hi');
    await notAModel(
      dir,
      'no-config',
      /no model config in .* \(looked for model_index\.json, config\.json/,
    );
  });

  it('refuses a malformed config, naming it', async () => {
    await put('config.json', '{"model_type": "llama",');
    await notAModel(dir, 'bad-config', /^config\.json: invalid JSON/);
    await put('config.json', '[1, 2]');
    await notAModel(dir, 'bad-config', /config\.json: expected a JSON object/);
  });

  it('refuses a config above the size limit', async () => {
    await put('config.json', '{}');
    await truncate(path.join(dir, 'config.json'), 20 * 1024 * 1024);
    await notAModel(
      dir,
      'bad-config',
      /config\.json: file is 20971520 bytes, more than the 16777216-byte limit/,
    );
  });

  it('reports a shard named by the index that does not exist, and falls back to the estimate', async () => {
    await baseModel();
    await writeShardedModel(dir, [
      randomTensors(prng(11), 3, 'a'),
      randomTensors(prng(12), 3, 'b'),
    ]);
    await rm(path.join(dir, shardName(1, 2)));
    const i = await inspectModel(dir);
    const f = finding(i, 'shard-missing');
    assert.equal(f.severity, 'error');
    assert.equal(
      f.message,
      `${shardName(1, 2)} is named in model.safetensors.index.json but does not exist`,
    );
    assert.equal(i.parameterSource, 'config-estimate');
  });

  it('reports a header length over the bound', async () => {
    await baseModel();
    await writeSafetensors(path.join(dir, 'model.safetensors'), randomTensors(prng(13), 50));
    await assert.doesNotReject(inspectModel(dir));
    const i = await inspectModel(dir, { maxHeaderBytes: 64 });
    assert.match(
      finding(i, 'safetensors-header').message,
      /^model\.safetensors: header length \d+ exceeds the 64-byte limit$/,
    );
    assert.equal(i.parameterSource, 'config-estimate');
  });

  it('reports negative and overflowing shapes', async () => {
    await baseModel();
    await writeRawSafetensors(
      path.join(dir, 'model-00001-of-00002.safetensors'),
      { w: { dtype: 'F32', shape: [-3, 2], data_offsets: [0, 24] } },
      24,
    );
    await writeRawSafetensors(
      path.join(dir, 'model-00002-of-00002.safetensors'),
      { v: { dtype: 'BF16', shape: [2 ** 26, 2 ** 26, 2 ** 26], data_offsets: [0, 8] } },
      8,
    );
    const i = await inspectModel(dir);
    const messages = i.findings
      .filter((f) => f.code === 'safetensors-header')
      .map((f) => f.message);
    assert.equal(messages.length, 2);
    assert.match(
      messages[0] ?? '',
      /model-00001-of-00002\.safetensors: tensor "w": shape \[-3,2\]/,
    );
    assert.match(
      messages[1] ?? '',
      /model-00002-of-00002\.safetensors: tensor "v": shape .* overflows/,
    );
  });

  it('reports truncated files: inside the header and inside the data', async () => {
    await baseModel();
    const tensors: TensorSpec[] = [{ name: 'w', dtype: 'F32', shape: [100] }];
    await writeSafetensors(path.join(dir, 'a.safetensors'), tensors);
    await truncate(path.join(dir, 'a.safetensors'), 300);
    await writeSafetensors(path.join(dir, 'b.safetensors'), [
      { name: 'v', dtype: 'F32', shape: [100] },
    ]);
    await truncate(path.join(dir, 'b.safetensors'), 20);
    const i = await inspectModel(dir);
    assert.match(
      finding(i, 'file-truncated').message,
      /^a\.safetensors is 300 bytes but its header describes \d+ .*truncated/,
    );
    assert.match(
      finding(i, 'safetensors-header').message,
      /^b\.safetensors: header length \d+ runs past the end of the 20-byte file/,
    );
  });

  it('reports a file longer than its header describes, gaps and overlaps', async () => {
    await baseModel();
    await writeRawSafetensors(
      path.join(dir, 'model.safetensors'),
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
        c: { dtype: 'F32', shape: [1], data_offsets: [16, 20] },
      },
      30,
    );
    const i = await inspectModel(dir);
    assert.deepEqual(codes(i).sort(), [
      'file-size-mismatch',
      'safetensors-gap',
      'safetensors-overlap',
    ]);
    assert.match(finding(i, 'safetensors-overlap').message, /a and b/);
    assert.match(finding(i, 'safetensors-gap').message, /12\.\.16/);
    // The header itself is sound, so the count is still exact.
    assert.equal(i.parameterSource, 'safetensors');
    assert.equal(i.parameterCount, 5);
  });

  it('never follows a weight symlink out of the directory', async () => {
    await baseModel();
    const outside = await tempDir();
    try {
      // Outside: a file that would fail loudly if it were read.
      await writeRawSafetensors(path.join(outside.dir, 'x.safetensors'), { w: 'not a tensor' }, 0);
      await symlink(path.join(outside.dir, 'x.safetensors'), path.join(dir, 'model.safetensors'));
      await symlink('/etc', path.join(dir, 'etc-link'));
      const i = await inspectModel(dir);
      const escapes = i.findings.filter((f) => f.code === 'symlink-escapes');
      assert.deepEqual(escapes.map((f) => f.file).sort(), ['etc-link', 'model.safetensors']);
      assert.ok(escapes.every((f) => f.severity === 'error'));
      assert.ok(!codes(i).includes('safetensors-header'), 'the outside file must not be read');
    } finally {
      await outside.cleanup();
    }
  });

  it('rejects index entries that climb out of the directory', async () => {
    await baseModel();
    await put('model.safetensors.index.json', { weight_map: { w: '../../etc/passwd' } });
    const i = await inspectModel(dir);
    assert.equal(finding(i, 'path-escapes').file, '../../etc/passwd');
  });

  it('reports an unreadable index, a tensor missing from its shard, and duplicated tensors', async () => {
    await baseModel();
    await put('model.safetensors.index.json', '{"weight_map": ');
    await writeSafetensors(path.join(dir, 'model.safetensors'), [
      { name: 'w', dtype: 'F32', shape: [1] },
    ]);
    let i = await inspectModel(dir);
    assert.match(
      finding(i, 'index-invalid').message,
      /model\.safetensors\.index\.json: invalid JSON/,
    );

    await put('model.safetensors.index.json', {
      metadata: { total_size: 999 },
      weight_map: { w: 'model.safetensors', extra: 'model.safetensors' },
    });
    i = await inspectModel(dir);
    assert.match(
      finding(i, 'index-tensor-missing').message,
      /1 tensor\(s\) that their shard does not contain: extra \(model\.safetensors\)/,
    );
    assert.match(
      finding(i, 'index-total-size').message,
      /total_size is 999 but the shards hold 4 bytes/,
    );

    await rm(path.join(dir, 'model.safetensors.index.json'));
    await writeSafetensors(path.join(dir, 'model-2.safetensors'), [
      { name: 'w', dtype: 'F32', shape: [1] },
    ]);
    i = await inspectModel(dir);
    assert.match(
      finding(i, 'tensor-duplicated').message,
      /w \(model-2\.safetensors, model\.safetensors\)/,
    );
  });

  it('reports missing weights and a missing tokenizer', async () => {
    await put('config.json', TINY_LLAMA_CONFIG);
    const i = await inspectModel(dir);
    assert.deepEqual(codes(i).sort(), ['no-weights', 'tokenizer-missing']);
    assert.equal(i.parameterSource, 'config-estimate');
    // Weights sized from the estimate: parameters x 2 bytes (bfloat16).
    assert.equal(i.memory?.weightsBytes, (i.parameterCount ?? 0) * 2);
    assert.ok((i.memory?.kvCacheBytes ?? 0) > 0);
    assert.ok(i.findings.every((f) => f.severity === 'error'));
  });

  it('warns about a config that names no model', async () => {
    await put('config.json', { hidden_size: 4 });
    await put('tokenizer.json', '{}');
    await writeSafetensors(path.join(dir, 'model.safetensors'), [
      { name: 'w', dtype: 'F32', shape: [1] },
    ]);
    const i = await inspectModel(dir);
    assert.deepEqual(codes(i), ['config-incomplete']);
  });
});
