// The weight files of one model folder: through its safetensors index when there is one, else
// every *.safetensors file (variants like model.fp16.safetensors aside). Each header is read
// (bounded, concurrently) and checked; what is kept per file is small, so that models with
// 100k tensors stay well inside the metadata Job's memory.
import { errorMessage } from '../errors.ts';
import { joinRel, pathFinding, type DirEntry, type ModelDir } from './model-fs.ts';
import { indexFindings, layoutFindings, locateTensors } from './preflight.ts';
import {
  DEFAULT_MAX_HEADER_BYTES,
  parseSafetensorsIndex,
  readSafetensorsHeader,
  type ByteBudget,
  type SafetensorsIndex,
} from './safetensors.ts';
import type { Finding, NameVersion } from './types.ts';

const DEFAULT_MAX_INDEX_BYTES = 64 * 1024 * 1024;
const DEFAULT_CONCURRENCY = 16;
const SAFETENSORS_FORMAT: NameVersion = { name: 'safetensors', version: '1.0.0' };

export interface WeightReadOptions {
  maxHeaderBytes?: number;
  maxIndexBytes?: number;
  concurrency?: number;
  budget?: ByteBudget;
}

/** What is kept of a read header: per-tensor details are dropped once the file is checked. */
export interface WeightFile {
  /** Relative to the model directory. */
  file: string;
  parameterCount: number;
  dataLength: number;
  tensorNames: string[];
}

export interface WeightSet {
  format?: NameVersion;
  files: WeightFile[];
  /** Every safetensors file that should be there was found and its header read. */
  complete: boolean;
  /** Bytes of tensor data over all files. */
  dataBytes: number;
  findings: Finding[];
}

/** Whether the headers describe all the weights: there are some, and every one was read. */
export function isExact(weights: WeightSet): boolean {
  return weights.complete && weights.files.length > 0;
}

export function mergeWeightSets(sets: readonly WeightSet[]): WeightSet {
  const files = sets.flatMap((s) => s.files);
  return {
    files,
    complete: sets.every((s) => s.complete),
    dataBytes: sets.reduce((sum, s) => sum + s.dataBytes, 0),
    findings: sets.flatMap((s) => s.findings),
    ...(files.length > 0 ? { format: SAFETENSORS_FORMAT } : {}),
  };
}

/** `model.fp16.safetensors` beside `model.safetensors` is a variant: the default one is used. */
function withoutVariants(names: readonly string[]): string[] {
  const present = new Set(names);
  return names.filter((name) => {
    const m = /^(.+)\.[A-Za-z0-9_-]+\.safetensors$/.exec(name);
    return !(m && present.has(`${m[1]}.safetensors`));
  });
}

/** Formats other than safetensors, by file name (for modelFormat only; they are not read). */
function otherFormat(names: readonly string[]): NameVersion | undefined {
  if (names.some((n) => /\.(bin|pt|pth)$/.test(n) && /model|consolidated/.test(n))) {
    return { name: 'pytorch' };
  }
  if (names.some((n) => n.endsWith('.gguf'))) return { name: 'gguf' };
  if (names.some((n) => n.endsWith('.onnx'))) return { name: 'onnx' };
  return undefined;
}

const INDEX_SUFFIX = '.safetensors.index.json';
const PREFERRED_INDEXES = [
  'model.safetensors.index.json',
  'diffusion_pytorch_model.safetensors.index.json',
];

/** The index file of a folder, if any (the transformers/diffusers names first). */
function indexNameOf(names: readonly string[]): string | undefined {
  return (
    PREFERRED_INDEXES.find((n) => names.includes(n)) ?? names.find((n) => n.endsWith(INDEX_SUFFIX))
  );
}

type ShardResult = { file: WeightFile; findings: Finding[] } | { findings: Finding[] };

/**
 * Reads the weights of folder `dirRel` (whose listing is `entries`). With `optional`, a folder
 * without weight files is no finding (a diffusers scheduler has none).
 */
export async function collectWeights(
  root: ModelDir,
  dirRel: string,
  entries: readonly DirEntry[],
  options: WeightReadOptions & { optional?: boolean } = {},
): Promise<WeightSet> {
  const findings: Finding[] = [];
  const names = entries.map((e) => e.name);
  const indexName = indexNameOf(names);
  const indexFile = indexName !== undefined ? joinRel(dirRel, indexName) : undefined;
  let index: SafetensorsIndex | undefined;
  if (indexFile !== undefined) {
    try {
      const json = await root.readJson(indexFile, options.maxIndexBytes ?? DEFAULT_MAX_INDEX_BYTES);
      index = parseSafetensorsIndex(indexFile, json);
    } catch (err) {
      findings.push({
        severity: 'error',
        code: 'index-invalid',
        message: errorMessage(err),
        file: indexFile,
      });
    }
  }
  const shards =
    index?.shards ?? withoutVariants(names.filter((n) => n.endsWith('.safetensors')).sort());
  if (shards.length === 0) {
    const format = otherFormat(names);
    if (!options.optional && format === undefined) {
      findings.push({
        severity: 'error',
        code: 'no-weights',
        message: `no weight files in ${dirRel || 'the model directory'}`,
      });
    }
    // Nothing to read is nothing missing: completeness is about the files that should be read.
    return { files: [], complete: true, dataBytes: 0, findings, ...(format ? { format } : {}) };
  }

  const results = await mapLimit(shards, options.concurrency ?? DEFAULT_CONCURRENCY, (shard) =>
    readShard(root, joinRel(dirRel, shard), indexFile, options),
  );
  // Findings in shard order, whatever order the reads finished in.
  for (const r of results) findings.push(...r.findings);
  const files = results.flatMap((r) => ('file' in r ? [r.file] : []));
  const dataBytes = files.reduce((sum, f) => sum + f.dataLength, 0);
  const located = locateTensors(files);
  findings.push(...located.findings);
  if (index !== undefined && indexFile !== undefined) {
    findings.push(
      ...indexFindings({
        indexFile,
        index,
        where: located.where,
        shardFile: (shard) => joinRel(dirRel, shard),
        read: new Set(files.map((f) => f.file)),
        dataBytes,
      }),
    );
  }
  // Without a usable index, the listed files may not be the whole model.
  const complete =
    (index !== undefined || indexFile === undefined) && files.length === shards.length;
  return { format: SAFETENSORS_FORMAT, files, complete, dataBytes, findings };
}

async function readShard(
  root: ModelDir,
  file: string,
  indexFile: string | undefined,
  options: WeightReadOptions,
): Promise<ShardResult> {
  const fail = (code: string, message: string): ShardResult => ({
    findings: [{ severity: 'error', code, message, file }],
  });
  try {
    const resolved = await root.resolve(file);
    if (resolved.kind === 'missing') {
      const where = indexFile ? ` is named in ${indexFile} but` : '';
      return fail('shard-missing', `${file}${where} does not exist`);
    }
    if (resolved.kind !== 'file') {
      const finding = pathFinding(file, resolved);
      return finding ? { findings: [finding] } : fail('shard-unreadable', `${file} is not a file`);
    }
    let header;
    try {
      header = await readSafetensorsHeader(resolved.real, file, resolved.size, {
        maxHeaderBytes: options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
        ...(options.budget ? { budget: options.budget } : {}),
      });
    } catch (err) {
      return fail('safetensors-header', errorMessage(err));
    }
    return {
      file: {
        file,
        parameterCount: header.parameterCount,
        dataLength: header.dataLength,
        tensorNames: header.tensors.map((t) => t.name),
      },
      findings: layoutFindings(file, header, resolved.size),
    };
  } catch (err) {
    // Permissions and I/O errors: the runtime would fail on this file too.
    return fail('shard-unreadable', `${file}: ${errorMessage(err)}`);
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
