// Unified diffs of two texts (line-based, 3 lines of context), bounded in input and output.
import { myers, type Step } from './align.ts';
import { truncateEnd } from './text.ts';

const MAX_LINES = 1500;
const MAX_DIFF_CHARS = 4000;

function lines(text: string): string[] {
  const all = text.split('\n');
  return all.length > MAX_LINES
    ? [...all.slice(0, MAX_LINES), `… ${all.length - MAX_LINES} more lines`]
    : all;
}

export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
}

/** The whole line-by-line diff, for side-by-side display. */
export function diffLines(expected: string, actual: string): DiffLine[] {
  const a = lines(expected);
  const b = lines(actual);
  return myers(a, b).map((s: Step): DiffLine => {
    if (s.op === 'delete') return { op: '-', text: a[s.a] as string };
    if (s.op === 'insert') return { op: '+', text: b[s.b] as string };
    return { op: ' ', text: a[(s as { a: number }).a] as string };
  });
}

/** A unified diff with hunks of 3 context lines, at most MAX_DIFF_CHARS long. */
export function unifiedDiff(
  expected: string,
  actual: string,
  labels = ['expected', 'actual'],
): string {
  const all = diffLines(expected, actual);
  const out = [`--- ${labels[0]}`, `+++ ${labels[1]}`];
  const context = 3;
  let i = 0;
  let lineA = 1;
  let lineB = 1;
  while (i < all.length) {
    if (all[i]?.op === ' ') {
      i++;
      lineA++;
      lineB++;
      continue;
    }
    // A hunk: back up for context, run until 2*context equal lines in a row.
    const from = Math.max(0, i - context);
    let a0 = lineA - (i - from);
    let b0 = lineB - (i - from);
    let end = i;
    let equalRun = 0;
    while (end < all.length && equalRun < 2 * context) {
      equalRun = all[end]?.op === ' ' ? equalRun + 1 : 0;
      end++;
    }
    // Trailing context: at most `context` of the equal lines that ended the hunk.
    const stop = end - Math.max(0, equalRun - context);
    const hunk = all.slice(from, stop);
    const countA = hunk.filter((l) => l.op !== '+').length;
    const countB = hunk.filter((l) => l.op !== '-').length;
    if (countA === 0) a0--;
    if (countB === 0) b0--;
    out.push(`@@ -${a0},${countA} +${b0},${countB} @@`, ...hunk.map((l) => l.op + l.text));
    for (let j = i; j < stop; j++) {
      const op = all[j]?.op;
      if (op !== '+') lineA++;
      if (op !== '-') lineB++;
    }
    i = stop;
  }
  return truncateEnd(out.join('\n'), MAX_DIFF_CHARS);
}
