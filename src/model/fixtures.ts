// Model directories for tests and benchmarks: real safetensors headers over sparse data (the
// file is extended with ftruncate, so a "70B" model takes a few kilobytes of disk).
import { mkdtemp, mkdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DTYPE_BITS, encodeSafetensorsHeader } from './safetensors.ts';

export interface TensorSpec {
  name: string;
  dtype: string;
  shape: number[];
}

export interface WrittenFile {
  parameters: number;
  dataLength: number;
}

/** The header object for `tensors` laid out back to back, and the data length. */
export function headerFor(
  tensors: readonly TensorSpec[],
  metadata: Record<string, string> = { format: 'pt' },
): { header: Record<string, unknown>; parameters: number; dataLength: number } {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  let parameters = 0;
  for (const t of tensors) {
    const elements = t.shape.reduce((a, b) => a * b, 1);
    const bytes = Math.ceil((elements * (DTYPE_BITS[t.dtype] ?? 8)) / 8);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
    parameters += elements;
  }
  return { header, parameters, dataLength: offset };
}

/** Writes a safetensors file whose data section is sparse (holes read as zeros). */
export async function writeSafetensors(
  file: string,
  tensors: readonly TensorSpec[],
): Promise<WrittenFile> {
  const { header, parameters, dataLength } = headerFor(tensors);
  await writeRawSafetensors(file, header, dataLength);
  return { parameters, dataLength };
}

/** Writes any header object (valid or not) followed by `dataLength` sparse bytes. */
export async function writeRawSafetensors(
  file: string,
  header: Record<string, unknown>,
  dataLength: number,
): Promise<void> {
  const prefix = encodeSafetensorsHeader(header);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, prefix);
  await truncate(file, prefix.length + dataLength);
}

/** A small deterministic PRNG (mulberry32), so that "random" fixtures are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RANDOM_DTYPES = ['F32', 'F16', 'BF16', 'I8', 'F8_E4M3', 'I64'] as const;

/** `count` tensors of random rank (0-4), dims (1-64) and dtype, named `prefix.N.weight`. */
export function randomTensors(random: () => number, count: number, prefix = 'layer'): TensorSpec[] {
  return Array.from({ length: count }, (_, i) => {
    const rank = Math.floor(random() * 5);
    const shape = Array.from({ length: rank }, () => 1 + Math.floor(random() * 64));
    const dtype = RANDOM_DTYPES[Math.floor(random() * RANDOM_DTYPES.length)] ?? 'F32';
    return { name: `${prefix}.${i}.weight`, dtype, shape };
  });
}

/** Shard file name as transformers writes it. */
export function shardName(i: number, total: number): string {
  const pad = (n: number) => String(n).padStart(5, '0');
  return `model-${pad(i + 1)}-of-${pad(total)}.safetensors`;
}

/**
 * Writes a sharded model: one safetensors file per entry of `shards`, and (unless `index` is
 * false) a model.safetensors.index.json naming every tensor's shard. Returns the total count.
 */
export async function writeShardedModel(
  dir: string,
  shards: readonly (readonly TensorSpec[])[],
  { index = true }: { index?: boolean } = {},
): Promise<WrittenFile> {
  await mkdir(dir, { recursive: true });
  const weightMap: Record<string, string> = {};
  let parameters = 0;
  let dataLength = 0;
  await Promise.all(
    shards.map(async (tensors, i) => {
      const name =
        shards.length === 1 && !index ? 'model.safetensors' : shardName(i, shards.length);
      const written = await writeSafetensors(path.join(dir, name), tensors);
      parameters += written.parameters;
      dataLength += written.dataLength;
      for (const t of tensors) weightMap[t.name] = name;
    }),
  );
  if (index) {
    const body = { metadata: { total_size: dataLength }, weight_map: weightMap };
    await writeFile(path.join(dir, 'model.safetensors.index.json'), JSON.stringify(body));
  }
  return { parameters, dataLength };
}

/** Writes DIR/REL, making its folders: a string as it is, anything else as JSON. */
export async function writeModelFile(dir: string, rel: string, body: unknown): Promise<void> {
  const file = path.join(dir, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, typeof body === 'string' ? body : JSON.stringify(body));
}

/** A fresh temporary directory and its removal. */
export async function tempDir(
  prefix = 'nbv-model-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A minimal Llama-style config.json. */
export const TINY_LLAMA_CONFIG = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  vocab_size: 1000,
  max_position_embeddings: 2048,
  torch_dtype: 'bfloat16',
  transformers_version: '4.44.0',
};
