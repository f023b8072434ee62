// A cell's outputs as one canonical text, the unit of golden comparison and of the diffs shown.
// Images are reduced to a content hash; nbv's own metadata mime type is dropped.
import { createHash } from 'node:crypto';
import { joinText, type Cell, type Output } from './ipynb.ts';
import { NBV_MIME_PREFIX } from './results.ts';
import { stripAnsi } from './text.ts';
import type { Masker } from './timestamps.ts';

export interface CanonicalOptions {
  ignoreExecutionCount: boolean;
  /** output_type names (stream, display_data, ...), stream names (stdout, stderr) or mime types ("image/*" allowed). */
  ignoreOutputTypes: readonly string[];
}

function ignored(kind: string, ignore: readonly string[]): boolean {
  return ignore.some((i) => i === kind || (i.endsWith('/*') && kind.startsWith(i.slice(0, -1))));
}

function dataValue(mime: string, value: unknown): string {
  if (mime.startsWith('image/') && mime !== 'image/svg+xml') {
    const b64 = typeof value === 'string' ? value : joinText(value as string[]);
    return `sha256:${createHash('sha256').update(b64.replace(/\s+/g, '')).digest('hex')}`;
  }
  if (typeof value === 'string' || Array.isArray(value))
    return joinText(value as string | string[]);
  return JSON.stringify(value);
}

/** One output as text; undefined when its type is ignored. */
function canonicalOutput(o: Output, opts: CanonicalOptions): string | undefined {
  if (ignored(o.output_type, opts.ignoreOutputTypes)) return undefined;
  if (o.output_type === 'stream') {
    return ignored(o.name, opts.ignoreOutputTypes) ? undefined : `[${o.name}]\n${joinText(o.text)}`;
  }
  // Tracebacks hold paths and colours that differ between machines; name and value are the result.
  if (o.output_type === 'error') return `[error]\n${o.ename}: ${stripAnsi(o.evalue)}`;
  const count =
    !opts.ignoreExecutionCount && o.output_type === 'execute_result'
      ? ` ${o.execution_count ?? ''}`
      : '';
  let text = `[${o.output_type}${count}]`;
  for (const mime of Object.keys(o.data ?? {}).sort()) {
    if (mime.startsWith(NBV_MIME_PREFIX) || ignored(mime, opts.ignoreOutputTypes)) continue;
    text += `\n${mime}:\n${dataValue(mime, o.data[mime])}`;
  }
  return text;
}

/**
 * All outputs of a code cell. Consecutive stream outputs of one stream are merged first: how
 * a kernel splits printed text into messages depends on timing, not on the notebook.
 */
export function canonicalCell(cell: Cell, opts: CanonicalOptions): string {
  const merged: Output[] = [];
  for (const o of cell.outputs ?? []) {
    const last = merged.at(-1);
    if (o.output_type === 'stream' && last?.output_type === 'stream' && last.name === o.name) {
      merged[merged.length - 1] = { ...last, text: joinText(last.text) + joinText(o.text) };
    } else merged.push(o);
  }
  const parts = merged
    .map((o) => canonicalOutput(o, opts))
    .filter((t): t is string => t !== undefined);
  const count = opts.ignoreExecutionCount
    ? ''
    : `[execution_count ${cell.execution_count ?? ''}]\n`;
  return count + parts.join('\n');
}

const ADDRESS = /\b0x[0-9a-fA-F]{6,16}\b/g;

/**
 * The `normalized` strategy's text: line endings, object addresses (`<Foo at 0x7f...>`),
 * timestamps when masked, and whitespace (runs collapsed, line ends and blank tails trimmed).
 */
export function normalizeText(text: string, maskTimestamps: Masker | undefined): string {
  let t = text.replace(/\r\n?/g, '\n').replace(ADDRESS, '0x…');
  if (maskTimestamps) t = maskTimestamps(t);
  return t
    .split('\n')
    .map((line) => line.replace(/[ \t]+/g, ' ').trimEnd())
    .join('\n')
    .trim();
}
