import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  dtypeBytes,
  estimateMemory,
  formatBytes,
  kvCacheBytesPerToken,
  quantizedBytesPerParam,
} from './memory.ts';
import { countFromHeaders, estimateParameters, formatParameterSize } from './parameters.ts';
import { parseSafetensorsHeader } from './safetensors.ts';

describe('formatParameterSize', () => {
  it('gives three significant figures with K/M/B/T', () => {
    const cases: Array<[number, string]> = [
      [8_030_261_248, '8.03B'],
      [134_515_008, '135M'],
      [1_026_000_000_000, '1.03T'],
      [46_282, '46.3K'],
      [35_000_000_000, '35.0B'],
      [684_531_386_000, '685B'],
      [999_700_000, '1.00B'],
      [999_499, '999K'],
      [999, '999'],
      [0, '0'],
    ];
    for (const [n, text] of cases) assert.equal(formatParameterSize(n), text, String(n));
  });

  it('rejects what is not a count', () => {
    assert.throws(() => formatParameterSize(-1), RangeError);
    assert.throws(() => formatParameterSize(Number.NaN), RangeError);
  });
});

describe('countFromHeaders', () => {
  it('sums the headers and refuses an unsafe total', () => {
    const h = (n: number) => ({ ...parseSafetensorsHeader('x', 2, {}), parameterCount: n });
    assert.equal(countFromHeaders([h(5), h(7)]), 12);
    assert.throws(() => countFromHeaders([h(Number.MAX_SAFE_INTEGER), h(2)]), /overflows/);
  });
});

describe('estimateParameters', () => {
  const llama8b = {
    model_type: 'llama',
    architectures: ['LlamaForCausalLM'],
    hidden_size: 4096,
    intermediate_size: 14336,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: 8,
    vocab_size: 128256,
    tie_word_embeddings: false,
  };

  it('counts a dense GQA decoder (Llama 3.1 8B: 8.03B)', () => {
    const n = estimateParameters(llama8b) ?? 0;
    assert.ok(Math.abs(n - 8_030_261_248) / 8_030_261_248 < 0.001, String(n));
  });

  it('drops the LM head when tied or absent', () => {
    const full = estimateParameters(llama8b) ?? 0;
    const head = 128256 * 4096;
    assert.equal(estimateParameters({ ...llama8b, tie_word_embeddings: true }), full - head);
    assert.equal(estimateParameters({ ...llama8b, architectures: ['LlamaModel'] }), full - head);
    assert.equal(
      estimateParameters({ ...llama8b, architectures: ['LlamaForSequenceClassification'] }),
      full - head,
    );
  });

  it('counts every expert of an MoE model', () => {
    const mixtral = { ...llama8b, model_type: 'mixtral', num_local_experts: 8, vocab_size: 32000 };
    const n = estimateParameters(mixtral) ?? 0;
    assert.ok(Math.abs(n - 46.7e9) / 46.7e9 < 0.01, String(n));
  });

  it('returns undefined without dimensions', () => {
    assert.equal(estimateParameters({ model_type: 'custom' }), undefined);
    // A bare Llama config gets LlamaConfig's defaults (7B), as transformers would load it.
    assert.ok((estimateParameters({ model_type: 'llama' }) ?? 0) > 6e9);
  });
});

describe('memory estimate', () => {
  // Llama 3.1 8B's attention: 32 layers, 8 KV heads of 128.
  const cfg = {
    hidden_size: 4096,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: 8,
  };

  it('knows dtype and quantization sizes', () => {
    assert.equal(dtypeBytes('float32'), 4);
    assert.equal(dtypeBytes('bfloat16'), 2);
    assert.equal(dtypeBytes(undefined), 2);
    assert.equal(quantizedBytesPerParam({ quantization_config: { quant_method: 'fp8' } }), 1);
    assert.equal(
      quantizedBytesPerParam({ quantization_config: { quant_method: 'gptq', bits: 4 } }),
      0.5,
    );
    assert.equal(quantizedBytesPerParam({ quantization_config: { load_in_4bit: true } }), 0.5);
    assert.equal(quantizedBytesPerParam({}), undefined);
  });

  it('sizes the KV cache: 2 x layers x kv heads x head dim x bytes per token', () => {
    assert.equal(kvCacheBytesPerToken(cfg, 2), 2 * 32 * 8 * 128 * 2);
    // MLA caches the compressed latent instead.
    const mla = { ...cfg, kv_lora_rank: 512, qk_rope_head_dim: 64 };
    assert.equal(kvCacheBytesPerToken(mla, 2), 32 * 576 * 2);
  });

  it('adds weights and one sequence of KV cache', () => {
    const m = estimateMemory({
      config: cfg,
      dtype: 'bfloat16',
      parameterCount: 8e9,
      weightsBytes: undefined,
      contextLength: 8192,
      generative: true,
    });
    assert.equal(m?.weightsBytes, 16e9);
    assert.equal(m?.kvCacheBytes, 8192 * 131072);
    assert.equal(m?.totalBytes, 16e9 + 8192 * 131072);
    assert.equal(m?.kvCacheHuman, '1.00 GiB');
    const embedding = estimateMemory({
      config: cfg,
      dtype: 'float32',
      parameterCount: 1e6,
      weightsBytes: 123,
      contextLength: 512,
      generative: false,
    });
    assert.equal(embedding?.weightsBytes, 123);
    assert.equal(embedding?.kvCacheBytes, 0);
  });

  it('formats bytes in binary units', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.50 KiB');
    assert.equal(formatBytes(16 * 1024 ** 3), '16.0 GiB');
    assert.equal(formatBytes(1023.9 * 1024 ** 2), '1.00 GiB');
  });
});
