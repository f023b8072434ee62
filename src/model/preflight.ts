// Servability checks: would a runtime (vLLM, SGLang, transformers) load this directory? Each
// check is a pure function of what was read and returns findings; none of them throws.
import { isGenerative } from './capabilities.ts';
import type { SafetensorsHeader, SafetensorsIndex } from './safetensors.ts';
import type { Finding, ModelCapability } from './types.ts';

/** `a, b, c and 4 more`: bounded lists in messages. */
export function listSome(items: readonly string[], max = 3): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

/**
 * The data section must be exactly the tensors, back to back: the safetensors loader rejects
 * holes, overlaps and a file size other than 8 + N + the last offset.
 */
export function layoutFindings(
  file: string,
  header: SafetensorsHeader,
  fileSize: number,
): Finding[] {
  const findings: Finding[] = [];
  const expected = 8 + header.headerLength + header.dataLength;
  if (fileSize < expected) {
    findings.push({
      severity: 'error',
      code: 'file-truncated',
      message: `${file} is ${fileSize} bytes but its header describes ${expected} (8 + ${header.headerLength} header + ${header.dataLength} data): the file is truncated`,
      file,
    });
  } else if (fileSize > expected) {
    findings.push({
      severity: 'error',
      code: 'file-size-mismatch',
      message: `${file} is ${fileSize} bytes, ${fileSize - expected} more than its header describes (${expected})`,
      file,
    });
  }
  const sorted = [...header.tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  const overlaps: string[] = [];
  const gaps: string[] = [];
  let end = 0;
  let previous = '';
  for (const t of sorted) {
    if (t.begin < end) overlaps.push(`${previous} and ${t.name}`);
    else if (t.begin > end) gaps.push(`${end}..${t.begin}`);
    if (t.end >= end) {
      end = t.end;
      previous = t.name;
    }
  }
  if (overlaps.length > 0) {
    findings.push({
      severity: 'error',
      code: 'safetensors-overlap',
      message: `${file}: the data of ${overlaps.length} tensor pair(s) overlap (${listSome(overlaps)})`,
      file,
    });
  }
  if (gaps.length > 0) {
    findings.push({
      severity: 'error',
      code: 'safetensors-gap',
      message: `${file}: the data section has ${gaps.length} unused byte range(s) between tensors (${listSome(gaps)})`,
      file,
    });
  }
  return findings;
}

export interface TensorLocations {
  /** Tensor name -> the (first) file that stores it. */
  where: Map<string, string>;
  /** Tensors stored in more than one file: loaders either fail or silently take one. */
  findings: Finding[];
}

/** Where each tensor is stored, in one pass over the files; duplicates are findings. */
export function locateTensors(
  files: ReadonlyArray<{ file: string; tensorNames: readonly string[] }>,
): TensorLocations {
  const where = new Map<string, string>();
  const duplicates: string[] = [];
  for (const { file, tensorNames } of files) {
    for (const name of tensorNames) {
      const other = where.get(name);
      if (other === undefined) where.set(name, file);
      else duplicates.push(`${name} (${other}, ${file})`);
    }
  }
  const findings: Finding[] =
    duplicates.length === 0
      ? []
      : [
          {
            severity: 'error',
            code: 'tensor-duplicated',
            message: `${duplicates.length} tensor(s) are stored in more than one file: ${listSome(duplicates)}`,
          },
        ];
  return { where, findings };
}

export interface IndexCheck {
  indexFile: string;
  index: SafetensorsIndex;
  /** Tensor locations from the headers that were read. */
  where: ReadonlyMap<string, string>;
  /** The file (relative to the model directory) of a shard named by the index. */
  shardFile: (shard: string) => string;
  /** Files whose header was read (missing shards are reported on their own). */
  read: ReadonlySet<string>;
  /** Tensor bytes over the shards that were read. */
  dataBytes: number;
}

/** The index and the shard headers agree: every tensor is where the index says. */
export function indexFindings(check: IndexCheck): Finding[] {
  const { indexFile, index, where, shardFile, read } = check;
  const findings: Finding[] = [];
  const misplaced: string[] = [];
  // A few shards, many tensors: map each shard name to its file once.
  const files = new Map(index.shards.map((shard) => [shard, shardFile(shard)]));
  for (const tensor in index.weightMap) {
    const file = files.get(index.weightMap[tensor] ?? '') ?? '';
    if (read.has(file) && where.get(tensor) !== file) misplaced.push(`${tensor} (${file})`);
  }
  if (misplaced.length > 0) {
    findings.push({
      severity: 'error',
      code: 'index-tensor-missing',
      message: `${indexFile} names ${misplaced.length} tensor(s) that their shard does not contain: ${listSome(misplaced)}`,
      file: indexFile,
    });
  }
  const allRead = [...files.values()].every((file) => read.has(file));
  if (index.totalSize !== undefined && allRead && check.dataBytes !== index.totalSize) {
    findings.push({
      severity: 'warning',
      code: 'index-total-size',
      message: `${indexFile}: metadata.total_size is ${index.totalSize} but the shards hold ${check.dataBytes} bytes of tensors`,
      file: indexFile,
    });
  }
  return findings;
}

const TOKENIZER_FILES = new Set([
  'tokenizer.json',
  'tokenizer.model',
  'vocab.json',
  'vocab.txt',
  'spiece.model',
  'sentencepiece.bpe.model',
  'tiktoken.model',
  'tekken.json',
  'ice_text.model',
]);

function isTokenizerFile(name: string): boolean {
  return TOKENIZER_FILES.has(name) || name.endsWith('.tiktoken');
}

/** Models that read text need its tokenizer; for generative ones the runtime will not start. */
export function tokenizerFindings(
  names: Iterable<string>,
  capabilities: readonly ModelCapability[],
  where: string,
): Finding[] {
  for (const name of names) if (isTokenizerFile(name)) return [];
  if (capabilities.length === 0) return [];
  return [
    {
      severity: isGenerative(capabilities) ? 'error' : 'warning',
      code: 'tokenizer-missing',
      message: `no tokenizer files in ${where} (tokenizer.json, tokenizer.model, vocab.json, vocab.txt, *.tiktoken, ...)`,
    },
  ];
}
