// Safetensors headers, read without reading the weights. A file is an 8-byte little-endian
// header length N, N bytes of JSON ({name: {dtype, shape, data_offsets}, __metadata__}), then
// the tensor data; offsets are relative to the end of the header. Only the first 8 + N bytes
// are ever read, and N is bounded, so that a corrupt or hostile file cannot exhaust memory.
import { close, open, read } from 'node:fs';
import { promisify } from 'node:util';
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
  // Plain numbers are exact while every partial product stays a safe integer; a product past
  // 2^53 rounds to an unsafe value, so the check cannot miss an overflow.
  let elements = 1;
  for (const dim of shape) {
    if (!isNonNegativeInt(dim))
      return fail(
        `shape ${JSON.stringify(shape)} has a dimension that is not a non-negative integer`,
      );
    elements *= dim;
    if (!Number.isSafeInteger(elements))
      return fail(`shape ${JSON.stringify(shape)} overflows (more than 2^53 elements)`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInt)) {
    return fail(`data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) return fail(`data_offsets [${begin}, ${end}] end before they begin`);
  const bits = elements * (DTYPE_BITS[dtype] ?? 0);
  if (!Number.isSafeInteger(bits))
    return fail(`shape ${JSON.stringify(shape)} overflows (${dtype} data over 2^53 bits)`);
  const bytes = Math.ceil(bits / 8);
  if (end - begin !== bytes) {
    return fail(
      `data_offsets [${begin}, ${end}] span ${end - begin} bytes, but ${dtype}${JSON.stringify(shape)} needs ${bytes}`,
    );
  }
  return { name, dtype, shape: shape as number[], elements, begin, end };
}

/** Validates a parsed header (pure). Throws SafetensorsError naming `file` and the field. */
export function parseSafetensorsHeader(
  file: string,
  headerLength: number,
  json: unknown,
): SafetensorsHeader {
  if (!isJsonObject(json)) throw new SafetensorsError(file, 'header is not a JSON object');
  const tensors: TensorInfo[] = [];
  let metadata: Record<string, string> = {};
  let total = 0;
  let dataLength = 0;
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (value !== null && !isJsonObject(value))
        throw new SafetensorsError(file, '__metadata__ is not an object');
      metadata = Object.fromEntries(Object.entries(value ?? {}).map(([k, v]) => [k, String(v)]));
      continue;
    }
    const tensor = parseTensor(file, name, value);
    tensors.push(tensor);
    total += tensor.elements;
    if (!Number.isSafeInteger(total))
      throw new SafetensorsError(file, 'parameter count overflows (more than 2^53)');
    dataLength = Math.max(dataLength, tensor.end);
  }
  return { headerLength, tensors, metadata, parameterCount: total, dataLength };
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

// The callback API costs less per call than FileHandle, which shows over thousands of shards.
const openFile = promisify(open);
const readFile = promisify(read);
const closeFile = promisify(close);
const UTF8 = new TextDecoder('utf-8', { fatal: true });

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
  if (size < 8)
    throw new SafetensorsError(
      file,
      `file is ${size} bytes, too short for the 8-byte header length`,
    );
  const fd = await openFile(realPath, 'r');
  try {
    const prefix = Buffer.alloc(8);
    const { bytesRead } = await readFile(fd, prefix, 0, 8, 0);
    if (bytesRead < 8)
      throw new SafetensorsError(file, 'file ended inside the 8-byte header length');
    const length = prefix.readBigUInt64LE(0);
    if (length > BigInt(maxHeaderBytes)) {
      throw new SafetensorsError(
        file,
        `header length ${length} exceeds the ${maxHeaderBytes}-byte limit`,
      );
    }
    const n = Number(length);
    if (8 + n > size)
      throw new SafetensorsError(
        file,
        `header length ${n} runs past the end of the ${size}-byte file`,
      );
    await options.budget?.acquire(n);
    try {
      const header = Buffer.alloc(n);
      const body = await readFile(fd, header, 0, n, 8);
      if (body.bytesRead < n)
        throw new SafetensorsError(file, `file ended inside the ${n}-byte header`);
      let json: unknown;
      try {
        json = JSON.parse(UTF8.decode(header));
      } catch (err) {
        throw new SafetensorsError(
          file,
          `header is not valid JSON (${err instanceof Error ? err.message : String(err)})`,
        );
      }
      return parseSafetensorsHeader(file, n, json);
    } finally {
      options.budget?.release(n);
    }
  } finally {
    await closeFile(fd);
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
  weightMap: Readonly<Record<string, string>>;
  /** Shard file names, each once, in first-mention order. */
  shards: string[];
  /** `metadata.total_size`: bytes of all tensors, when given. */
  totalSize?: number;
}

/** Validates a parsed `*.safetensors.index.json` (pure); the message names the file and field. */
export function parseSafetensorsIndex(file: string, json: unknown): SafetensorsIndex {
  if (!isJsonObject(json)) throw new SafetensorsError(file, 'index is not a JSON object');
  const map = json.weight_map;
  if (!isJsonObject(map))
    throw new SafetensorsError(file, 'weight_map is missing or not an object');
  // for-in over the parsed object: large indexes (100k tensors) make Map copies noticeable.
  const shards = new Set<string>();
  for (const tensor in map) {
    const shard = map[tensor];
    if (typeof shard !== 'string' || shard === '') {
      throw new SafetensorsError(file, `weight_map["${tensor}"] is not a file name`);
    }
    shards.add(shard);
  }
  const metadata = json.metadata;
  const totalSize = isJsonObject(metadata) ? metadata.total_size : undefined;
  return {
    weightMap: map as Record<string, string>,
    shards: [...shards],
    ...(isNonNegativeInt(totalSize) ? { totalSize } : {}),
  };
}
