// A first sizing of serving memory: the weights plus the KV cache of one sequence at the full
// context length. Activations, CUDA graphs and the runtime's own overhead are not included;
// sliding-window layers are counted at full length, so the KV figure is an upper bound.
import {
  getNumber,
  getObject,
  getPositiveInt,
  getString,
  languageConfig,
  quantizationConfig,
} from './config.ts';
import { isJsonObject, type JsonObject } from './json.ts';
import { textDims } from './parameters.ts';
import type { MemoryEstimate } from './types.ts';

/** Bytes per element of the torch dtypes that configs name. */
const TORCH_DTYPE_BYTES: Readonly<Record<string, number>> = {
  float32: 4,
  float: 4,
  float64: 8,
  float16: 2,
  half: 2,
  bfloat16: 2,
  float8_e4m3fn: 1,
  float8_e5m2: 1,
  int8: 1,
  uint8: 1,
};

/** 16-bit, when the config names no dtype (what the runtimes load by default). */
export function dtypeBytes(dtype: string | undefined): number {
  return dtype !== undefined && Object.hasOwn(TORCH_DTYPE_BYTES, dtype)
    ? (TORCH_DTYPE_BYTES[dtype] ?? 2)
    : 2;
}

/** Bytes per weight implied by the quantization config, or undefined when it says nothing. */
export function quantizedBytesPerParam(config: JsonObject): number | undefined {
  const q = quantizationConfig(config);
  if (q === undefined) return undefined;
  const method = getString(q, 'quant_method')?.toLowerCase() ?? '';
  const bits =
    getPositiveInt(q, 'bits') ??
    getPositiveInt(q, 'w_bit') ??
    getPositiveInt(getObject(firstGroup(q), 'weights'), 'num_bits') ??
    (q.load_in_4bit === true ? 4 : q.load_in_8bit === true ? 8 : undefined) ??
    (method.includes('fp8') ? 8 : method.includes('fp4') ? 4 : undefined);
  return bits !== undefined ? bits / 8 : undefined;
}

/** The first config group of a compressed-tensors quantization config. */
function firstGroup(q: JsonObject): JsonObject | undefined {
  const groups = getObject(q, 'config_groups');
  const first = groups ? Object.values(groups)[0] : undefined;
  return isJsonObject(first) ? first : undefined;
}

/**
 * Bytes of KV cache per token: 2 (K and V) x layers x kv heads x head dim x element bytes; for
 * DeepSeek MLA, the compressed latent (kv_lora_rank + rope dim) per layer.
 */
export function kvCacheBytesPerToken(config: JsonObject, elementBytes: number): number {
  const text = languageConfig(config);
  const d = textDims(text);
  if (d === undefined) return 0;
  const kvLora = getPositiveInt(text, 'kv_lora_rank');
  if (kvLora !== undefined && text.use_mla !== false) {
    return d.layers * (kvLora + (getNumber(text, 'qk_rope_head_dim') ?? 0)) * elementBytes;
  }
  return 2 * d.layers * d.kvHeads * d.headDim * elementBytes;
}

const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** `16106127360` -> `15.0 GiB` (binary units, three significant figures). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes;
  for (const unit of BYTE_UNITS) {
    value /= 1024;
    const shown = value.toPrecision(3);
    // Below 1000 keeps toPrecision out of exponent notation (1020 MiB shows as 0.996 GiB).
    if (Number(shown) < 1000 || unit === 'PiB') return `${shown} ${unit}`;
  }
  return `${bytes} B`;
}

export interface MemoryInputs {
  config: JsonObject;
  dtype: string | undefined;
  parameterCount: number | undefined;
  /** Exact weight bytes from the safetensors headers, when they were all read. */
  weightsBytes: number | undefined;
  contextLength: number | undefined;
  /** Embedding/rerank models encode a request and keep no cache between tokens. */
  generative: boolean;
}

export function estimateMemory(input: MemoryInputs): MemoryEstimate | undefined {
  const elementBytes = dtypeBytes(input.dtype);
  const weightsBytes =
    input.weightsBytes ??
    (input.parameterCount !== undefined
      ? Math.round(input.parameterCount * (quantizedBytesPerParam(input.config) ?? elementBytes))
      : undefined);
  if (weightsBytes === undefined) return undefined;
  // Runtimes keep the KV cache in 16 bits for 32-bit checkpoints unless told otherwise.
  const kvElementBytes = Math.min(elementBytes, 2);
  const tokens = input.generative ? (input.contextLength ?? 0) : 0;
  const kvCacheBytes = tokens * kvCacheBytesPerToken(input.config, kvElementBytes);
  const totalBytes = weightsBytes + kvCacheBytes;
  return {
    weightsBytes,
    kvCacheBytes,
    kvCacheTokens: tokens,
    totalBytes,
    weightsHuman: formatBytes(weightsBytes),
    kvCacheHuman: formatBytes(kvCacheBytes),
    totalHuman: formatBytes(totalBytes),
  };
}
