// Golden comparison: cells aligned by sequence alignment, then each code cell's outputs
// compared under comparisonConfig. Fills status.comparisonResult.
import type { CellDiff, ComparisonConfig, ComparisonResult } from '../api/notebookvalidationjob.ts';
import { align } from './align.ts';
import { cellFlags, mergeFlags, sourceCells, type IndexedCell } from './cells.ts';
import { joinText, type Cell, type Notebook } from './ipynb.ts';
import { canonicalCell, normalizeText, type CanonicalOptions } from './normalize.ts';
import { numericallyEqual } from './numbers.ts';
import { errorOf } from './results.ts';
import { stripAnsi, truncateEnd } from './text.ts';
import { timestampMasker, type Masker } from './timestamps.ts';
import { unifiedDiff } from './udiff.ts';

const MAX_SIDE_CHARS = 2000;

export interface CompareOptions {
  config: ComparisonConfig;
  /** strictMode: minor differences (markdown cells) fail the comparison too. */
  strict?: boolean;
}

function sourceKey({ cell }: IndexedCell): string {
  const lines = joinText(cell.source)
    .split('\n')
    .map((l) => l.trimEnd());
  return `${cell.cell_type}\u0000${lines.join('\n').trim()}`;
}

function lineSet(cell: Cell): Set<string> {
  return new Set(
    joinText(cell.source)
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== ''),
  );
}

/** Jaccard similarity of the source lines; cells of different types never pair. */
function similarity(x: IndexedCell, y: IndexedCell): number {
  if (x.cell.cell_type !== y.cell.cell_type) return 0;
  const a = lineSet(x.cell);
  const b = lineSet(y.cell);
  if (a.size === 0 && b.size === 0) return 1;
  let common = 0;
  for (const l of a) if (b.has(l)) common++;
  return common / (a.size + b.size - common);
}

interface Comparer {
  canonical: CanonicalOptions;
  mask: Masker | undefined;
  normalized: boolean;
  tolerance: number;
}

function comparer(config: ComparisonConfig): Comparer {
  return {
    canonical: {
      ignoreExecutionCount: config.ignoreExecutionCount,
      ignoreOutputTypes: config.ignoreOutputTypes ?? [],
    },
    mask: config.ignoreTimestamps ? timestampMasker(config.customTimestampPatterns) : undefined,
    normalized: config.strategy === 'normalized',
    tolerance: Number(config.floatingPointTolerance),
  };
}

/** Undefined when the outputs match; otherwise the texts compared (normalized ones under `normalized`). */
function outputsDiffer(
  c: Comparer,
  expected: string,
  actual: string,
): { expected: string; actual: string } | undefined {
  if (expected === actual) return undefined; // the common case, and the fast path
  if (!c.normalized) return { expected, actual };
  const e = normalizeText(expected, c.mask);
  const a = normalizeText(actual, c.mask);
  return numericallyEqual(e, a, c.tolerance) ? undefined : { expected: e, actual: a };
}

function diffEntry(
  cellIndex: number,
  cell: Cell,
  diffType: CellDiff['diffType'],
  severity: CellDiff['severity'],
  expected?: string,
  actual?: string,
  shown?: { expected: string; actual: string },
): CellDiff {
  return {
    cellIndex,
    cellType: cell.cell_type === 'code' ? 'code' : 'markdown',
    diffType,
    severity,
    ...(expected !== undefined ? { expected: truncateEnd(expected, MAX_SIDE_CHARS) } : {}),
    ...(actual !== undefined ? { actual: truncateEnd(actual, MAX_SIDE_CHARS) } : {}),
    ...(shown ? { diff: unifiedDiff(shown.expected, shown.actual, ['golden', 'executed']) } : {}),
  };
}

/** One aligned pair of code cells: undefined when it matches (or is skipped). */
function comparePair(
  c: Comparer,
  golden: IndexedCell,
  actual: IndexedCell,
): CellDiff | 'skipped' | undefined {
  const flags = mergeFlags(cellFlags(golden.cell), cellFlags(actual.cell));
  if (flags.skip) return 'skipped';
  const expected = canonicalCell(golden.cell, c.canonical);
  const error = errorOf(actual.cell);
  if (error && !errorOf(golden.cell) && !flags.raisesException) {
    const text = `${error.ename}: ${stripAnsi(error.evalue)}`;
    return diffEntry(actual.index, actual.cell, 'execution_error', 'critical', expected, text, {
      expected,
      actual: text,
    });
  }
  if (flags.ignoreOutput) return undefined;
  const got = canonicalCell(actual.cell, c.canonical);
  const differ = outputsDiffer(c, expected, got);
  return differ
    ? diffEntry(actual.index, actual.cell, 'output_mismatch', 'major', expected, got, differ)
    : undefined;
}

export function compareNotebooks(
  golden: Notebook,
  actual: Notebook,
  options: CompareOptions,
): ComparisonResult {
  const c = comparer(options.config);
  const g = sourceCells(golden);
  const a = sourceCells(actual);
  const diffs: CellDiff[] = [];
  let total = 0;
  let mismatched = 0;
  for (const step of align(g, a, sourceKey, similarity)) {
    if (step.op === 'delete' || step.op === 'insert') {
      const side = step.op === 'delete' ? (g[step.a] as IndexedCell) : (a[step.b] as IndexedCell);
      const isCode = side.cell.cell_type === 'code';
      if (isCode && cellFlags(side.cell).skip) continue;
      const text = isCode ? canonicalCell(side.cell, c.canonical) : joinText(side.cell.source);
      const severity = isCode ? 'major' : 'minor';
      diffs.push(
        step.op === 'delete'
          ? diffEntry(side.index, side.cell, 'missing_cell', severity, text, undefined)
          : diffEntry(side.index, side.cell, 'extra_cell', severity, undefined, text),
      );
      if (isCode) {
        total++;
        mismatched++;
      }
      continue;
    }
    const x = g[step.a] as IndexedCell;
    const y = a[step.b] as IndexedCell;
    if (y.cell.cell_type !== 'code') continue;
    const outcome = comparePair(c, x, y);
    if (outcome === 'skipped') continue;
    total++;
    if (outcome) {
      diffs.push(outcome);
      mismatched++;
    }
  }
  const failing = diffs.some((d) => d.severity !== 'minor' || options.strict === true);
  return {
    strategy: options.config.strategy,
    result: failing ? 'failed' : 'matched',
    totalCells: total,
    matchedCells: total - mismatched,
    mismatchedCells: mismatched,
    ...(diffs.length > 0 ? { diffs } : {}),
  };
}
