// Which cells of a notebook count, and the nbval opt-outs that a cell may carry.
import { joinText, type Cell, type Notebook } from './ipynb.ts';

/** Tags papermill gives the cells it adds: the injected parameters and the error banner. */
const PAPERMILL_TAGS = ['injected-parameters', 'papermill-error-cell-tag'];

export interface IndexedCell {
  /** Index in the source notebook (papermill's added cells do not count). */
  index: number;
  cell: Cell;
}

/** The cells of the source notebook, in order, with papermill's added cells left out. */
export function sourceCells(nb: Notebook): IndexedCell[] {
  const out: IndexedCell[] = [];
  for (const cell of nb.cells) {
    const tags = cell.metadata.tags ?? [];
    if (tags.some((t) => PAPERMILL_TAGS.includes(t))) continue;
    out.push({ index: out.length, cell });
  }
  return out;
}

export interface CellFlags {
  /** Neither executed results nor outputs of this cell are compared. */
  skip: boolean;
  /** The cell runs and must not fail, but its outputs are not compared. */
  ignoreOutput: boolean;
  /** The cell is expected to raise; its error is not a failure. */
  raisesException: boolean;
}

const hasMarker = (source: string, marker: string) =>
  new RegExp(`^\\s*#\\s*${marker}\\b`, 'm').test(source);

/** nbval's comment markers and tags (nbval-*, and nbclient's raises-exception). */
export function cellFlags(cell: Cell): CellFlags {
  const source = joinText(cell.source);
  const tags = cell.metadata.tags ?? [];
  return {
    skip: tags.includes('nbval-skip') || hasMarker(source, 'NBVAL_SKIP'),
    ignoreOutput: tags.includes('nbval-ignore-output') || hasMarker(source, 'NBVAL_IGNORE_OUTPUT'),
    raisesException:
      tags.includes('raises-exception') ||
      tags.includes('nbval-raises-exception') ||
      hasMarker(source, 'NBVAL_RAISES_EXCEPTION'),
  };
}

export function mergeFlags(a: CellFlags, b: CellFlags): CellFlags {
  return {
    skip: a.skip || b.skip,
    ignoreOutput: a.ignoreOutput || b.ignoreOutput,
    raisesException: a.raisesException || b.raisesException,
  };
}
