// Safetensors headers, read without reading the weights. A file is an 8-byte little-endian
// header length N, N bytes of JSON ({name: {dtype, shape, data_offsets}, __metadata__}), then
// the tensor data; offsets are relative to the end of the header. Only the first 8 + N bytes
// are ever read, and N is bounded, so that a corrupt or hostile file cannot exhaust memory.
import { open } from 'node:fs/promises';
import { isJsonObject } from './json.ts';

/** Bits per element of each safetensors dtype. */
export const DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  I64: 64,
  U64: 64,
  F64: 64,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
};

export const DEFAULT_MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  /** Element count. */
  elements: number;
  /** Byte range in the data section (after the header). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** The header's JSON length N (the data section starts at 8 + N). */
  headerLength: number;
  tensors: TensorInfo[];
  metadata: Record<string, string>;
  /** Sum of the element counts. */
  parameterCount: number;
  /** Largest data offset end: the data section's size as the header describes it. */
  dataLength: number;
}

/** A malformed header; the message names the file and the field. */
export class SafetensorsError extends Error {
  readonly file: string;
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'SafetensorsError';
    this.file = file;
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function isNonNegativeInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function parseTensor(file: string, name: string, value: unknown): TensorInfo {
  const fail = (message: string): never => {
    throw new SafetensorsError(file, `tensor "${name}": ${message}`);
  };
  if (!isJsonObject(value)) return fail('expected an object with dtype, shape and data_offsets');
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BITS, dtype)) {
    return fail(`unknown dtype ${JSON.stringify(dtype)}`);
  }
  if (!Array.isArray(shape)) return fail('shape is not an array');
  let elements = 1n;
  for (const dim of shape) {
    if (!isNonNegativeInt(dim)) return fail(`shape ${JSON.stringify(shape)} has a dimension that is not a non-negative integer`);
    elements *= BigInt(dim);
  }
  if (elements > MAX_SAFE) return fail(`shape ${JSON.stringify(shape)} overflows (${elements} elements)`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInt)) {
    return fail(`data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) return fail(`data_offsets [${begin}, ${end}] end before they begin`);
  const bits = elements * BigInt(DTYPE_BITS[dtype] ?? 0);
  const bytes = (bits + 7n) / 8n;
  if (BigInt(end - begin) !== bytes) {
    return fail(`data_offsets [${begin}, ${end}] span ${end - begin} bytes, but ${dtype}${JSON.stringify(shape)} needs ${bytes}`);
  }
  return { name, dtype, shape: shape as number[], elements: Number(elements), begin, end };
}

/** Validates a parsed header (pure). Throws SafetensorsError naming `file` and the field. */
export function parseSafetensorsHeader(file: string, headerLength: number, json: unknown): SafetensorsHeader {
  if (!isJsonObject(json)) throw new SafetensorsError(file, 'header is not a JSON object');
  const tensors: TensorInfo[] = [];
  let metadata: Record<string, string> = {};
  let total = 0n;
  let dataLength = 0;
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (value !== null && !isJsonObject(value)) throw new SafetensorsError(file, '__metadata__ is not an object');
      metadata = Object.fromEntries(Object.entries(value ?? {}).map(([k, v]) => [k, String(v)]));
      continue;
    }
    const tensor = parseTensor(file, name, value);
    tensors.push(tensor);
    total += BigInt(tensor.elements);
    dataLength = Math.max(dataLength, tensor.end);
  }
  if (total > MAX_SAFE) throw new SafetensorsError(file, `parameter count overflows (${total})`);
  return { headerLength, tensors, metadata, parameterCount: Number(total), dataLength };
}

/**
 * Caps the header bytes that concurrent reads hold at once: a read waits while others hold
 * the budget, and a header larger than the whole budget is read alone.
 */
export class ByteBudget {
  readonly capacity: number;
  #used = 0;
  #waiting: Array<() => void> = [];

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  async acquire(bytes: number): Promise<void> {
    while (this.#used > 0 && this.#used + bytes > this.capacity) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#used += bytes;
  }

  release(bytes: number): void {
    this.#used -= bytes;
    for (const wake of this.#waiting.splice(0)) wake();
  }
}

export interface ReadHeaderOptions {
  /** Largest header length accepted (bytes). */
  maxHeaderBytes?: number;
  /** Shared by concurrent reads to bound the memory they hold together. */
  budget?: ByteBudget;
}

/**
 * Reads and validates the header of one safetensors file: exactly 8 bytes, then exactly N.
 * `file` names it in errors; `size` is its size in bytes (from stat).
 */
export async function readSafetensorsHeader(
  realPath: string,
  file: string,
  size: number,
  options: ReadHeaderOptions = {},
): Promise<SafetensorsHeader> {
  const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (size < 8) throw new SafetensorsError(file, `file is ${size} bytes, too short for the 8-byte header length`);
  const handle = await open(realPath, 'r');
  try {
    const prefix = Buffer.alloc(8);
    const { bytesRead } = await handle.read(prefix, 0, 8, 0);
    if (bytesRead < 8) throw new SafetensorsError(file, 'file ended inside the 8-byte header length');
    const length = prefix.readBigUInt64LE(0);
    if (length > BigInt(maxHeaderBytes)) {
      throw new SafetensorsError(file, `header length ${length} exceeds the ${maxHeaderBytes}-byte limit`);
    }
    const n = Number(length);
    if (8 + n > size) throw new SafetensorsError(file, `header length ${n} runs past the end of the ${size}-byte file`);
    await options.budget?.acquire(n);
    try {
      const header = Buffer.alloc(n);
      const read = await handle.read(header, 0, n, 8);
      if (read.bytesRead < n) throw new SafetensorsError(file, `file ended inside the ${n}-byte header`);
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(header));
      } catch (err) {
        throw new SafetensorsError(file, `header is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
      }
      return parseSafetensorsHeader(file, n, json);
    } finally {
      options.budget?.release(n);
    }
  } finally {
    await handle.close();
  }
}

/** Encodes a header as a safetensors file prefix (8-byte length + JSON), for tests and benches. */
export function encodeSafetensorsHeader(header: Record<string, unknown>): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length), 0);
  return Buffer.concat([prefix, json]);
}

export interface SafetensorsIndex {
  /** Tensor name -> shard file name (relative to the index's folder). */
  weightMap: Map<string, string>;
  /** Shard file names, each once, in first-mention order. */
  shards: string[];
  /** `metadata.total_size`: bytes of all tensors, when given. */
  totalSize?: number;
}

/** Validates a parsed `*.safetensors.index.json` (pure); the message names the file and field. */
export function parseSafetensorsIndex(file: string, json: unknown): SafetensorsIndex {
  if (!isJsonObject(json)) throw new SafetensorsError(file, 'index is not a JSON object');
  const map = json.weight_map;
  if (!isJsonObject(map)) throw new SafetensorsError(file, 'weight_map is missing or not an object');
  const weightMap = new Map<string, string>();
  const shards = new Set<string>();
  for (const [tensor, shard] of Object.entries(map)) {
    if (typeof shard !== 'string' || shard === '') {
      throw new SafetensorsError(file, `weight_map["${tensor}"] is not a file name`);
    }
    weightMap.set(tensor, shard);
    shards.add(shard);
  }
  const metadata = json.metadata;
  const totalSize = isJsonObject(metadata) ? metadata.total_size : undefined;
  return {
    weightMap,
    shards: [...shards],
    ...(isNonNegativeInt(totalSize) ? { totalSize } : {}),
  };
}
