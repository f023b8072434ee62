// Servability checks: would a runtime (vLLM, SGLang, transformers) load this directory? Each
// check is a pure function of what was read and returns findings; none of them throws.
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
export function layoutFindings(file: string, header: SafetensorsHeader, fileSize: number): Finding[] {
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

/** The index and the shard headers agree: every tensor is where the index says. */
export function indexFindings(
  indexFile: string,
  index: SafetensorsIndex,
  headers: ReadonlyMap<string, SafetensorsHeader>,
): Finding[] {
  const findings: Finding[] = [];
  const inShard = new Map<string, Set<string>>();
  for (const [shard, header] of headers) inShard.set(shard, new Set(header.tensors.map((t) => t.name)));
  const misplaced: string[] = [];
  for (const [tensor, shard] of index.weightMap) {
    const names = inShard.get(shard);
    if (names !== undefined && !names.has(tensor)) misplaced.push(`${tensor} (${shard})`);
  }
  if (misplaced.length > 0) {
    findings.push({
      severity: 'error',
      code: 'index-tensor-missing',
      message: `${indexFile} names ${misplaced.length} tensor(s) that their shard does not contain: ${listSome(misplaced)}`,
      file: indexFile,
    });
  }
  const allRead = index.shards.every((s) => headers.has(s));
  if (index.totalSize !== undefined && allRead) {
    const bytes = [...headers.values()].reduce((sum, h) => sum + h.dataLength, 0);
    if (bytes !== index.totalSize) {
      findings.push({
        severity: 'warning',
        code: 'index-total-size',
        message: `${indexFile}: metadata.total_size is ${index.totalSize} but the shards hold ${bytes} bytes of tensors`,
        file: indexFile,
      });
    }
  }
  return findings;
}

/** A tensor stored twice: loaders either fail or silently take one of them. */
export function duplicateTensorFindings(files: ReadonlyArray<{ file: string; header: SafetensorsHeader }>): Finding[] {
  const firstSeen = new Map<string, string>();
  const duplicates: string[] = [];
  for (const { file, header } of files) {
    for (const t of header.tensors) {
      const other = firstSeen.get(t.name);
      if (other === undefined) firstSeen.set(t.name, file);
      else duplicates.push(`${t.name} (${other}, ${file})`);
    }
  }
  if (duplicates.length === 0) return [];
  return [
    {
      severity: 'error',
      code: 'tensor-duplicated',
      message: `${duplicates.length} tensor(s) are stored in more than one file: ${listSome(duplicates)}`,
    },
  ];
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

export function isTokenizerFile(name: string): boolean {
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
  const generative = capabilities.includes('TEXT_TO_TEXT') || capabilities.includes('IMAGE_TEXT_TO_TEXT');
  return [
    {
      severity: generative ? 'error' : 'warning',
      code: 'tokenizer-missing',
      message: `no tokenizer files in ${where} (tokenizer.json, tokenizer.model, vocab.json, vocab.txt, *.tiktoken, ...)`,
    },
  ];
}
