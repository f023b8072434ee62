// Per-cell results of an executed notebook, for succeeded and failed runs alike. Timing and
// state come from the metadata papermill writes on each cell (status, duration).
import type { CellResult } from '../api/notebookvalidationjob.ts';
import { formatDuration } from '../util/duration.ts';
import { cellFlags, sourceCells } from './cells.ts';
import { joinText, type Cell, type ErrorOutput, type Notebook, type Output } from './ipynb.ts';
import { stripAnsi, truncateEnd, truncateMiddle } from './text.ts';

/** Bounds that keep a status (and an etcd object) small whatever a notebook prints. */
const MAX_OUTPUT_CHARS = 1000;
const MAX_TRACEBACK_CHARS = 6000;
const MAX_ERROR_VALUE_CHARS = 1000;

/** Mime types nbv's own display formatter adds (see steps.ts); never part of what a user sees. */
export const NBV_MIME_PREFIX = 'application/vnd.nbv.';

export function outputTypes(outputs: readonly Output[]): string[] {
  const types = new Set<string>();
  for (const o of outputs) {
    if (o.output_type === 'stream') types.add(`stream:${o.name}`);
    else if (o.output_type === 'error') types.add('error');
    else {
      types.add(o.output_type);
      for (const mime of Object.keys(o.data ?? {}))
        if (!mime.startsWith(NBV_MIME_PREFIX)) types.add(mime);
    }
  }
  return [...types];
}

/** What a person would read of the outputs: streams and text/plain, without colours. */
export function outputText(outputs: readonly Output[], max = MAX_OUTPUT_CHARS): string {
  let text = '';
  for (const o of outputs) {
    if (text.length > max) break;
    if (o.output_type === 'stream') text += joinText(o.text);
    else if (o.output_type !== 'error') {
      const plain = o.data?.['text/plain'];
      if (typeof plain === 'string' || Array.isArray(plain))
        text += `${joinText(plain as string | string[])}\n`;
    }
  }
  return truncateEnd(stripAnsi(text), max);
}

export function errorOf(cell: Cell): ErrorOutput | undefined {
  return cell.outputs?.find((o): o is ErrorOutput => o.output_type === 'error');
}

function errorFields(name: string, value: string, traceback?: string): Partial<CellResult> {
  const errorValue = truncateEnd(stripAnsi(value), MAX_ERROR_VALUE_CHARS);
  return {
    errorName: name,
    errorValue,
    errorMessage: errorValue ? `${name}: ${errorValue}` : name,
    ...(traceback ? { traceback: truncateMiddle(stripAnsi(traceback), MAX_TRACEBACK_CHARS) } : {}),
  };
}

function cellResult(index: number, cell: Cell): CellResult {
  const outputs = cell.outputs ?? [];
  const pm = cell.metadata.papermill;
  const base: CellResult = {
    cellIndex: index,
    status: 'Success',
    ...(typeof pm?.duration === 'number'
      ? { executionTime: formatDuration(pm.duration * 1000) }
      : {}),
    outputTypes: outputTypes(outputs),
  };
  const text = outputText(outputs);
  if (text !== '') base.output = text;
  if (pm?.status === 'pending') return { ...base, status: 'Skipped' };
  if (pm?.status === 'running') {
    return {
      ...base,
      status: 'Failure',
      ...errorFields('Interrupted', 'the cell was still running when execution stopped'),
    };
  }
  const error = errorOf(cell);
  const raises = cellFlags(cell).raisesException;
  if (error && !raises) {
    return {
      ...base,
      status: 'Failure',
      ...errorFields(error.ename, error.evalue, (error.traceback ?? []).join('\n')),
    };
  }
  if (pm?.status === 'failed') {
    return {
      ...base,
      status: 'Failure',
      ...errorFields('CellFailed', 'papermill marked the cell failed (the kernel may have died)'),
    };
  }
  if (raises && !error && pm?.status === 'completed') {
    return {
      ...base,
      status: 'Failure',
      ...errorFields(
        'NoException',
        'the cell is marked to raise an exception (NBVAL_RAISES_EXCEPTION / raises-exception) but raised none',
      ),
    };
  }
  return base;
}

/** One result per code cell of the source notebook. */
export function cellResults(executed: Notebook): CellResult[] {
  return sourceCells(executed)
    .filter(({ cell }) => cell.cell_type === 'code')
    .map(({ index, cell }) => cellResult(index, cell));
}
