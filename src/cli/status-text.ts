// A job's status as people read it, shared by `nbv run`, `nbv submit` and `nbv status`.
import type { Writable } from 'node:stream';
import type { NotebookValidationJobStatus } from '../api/notebookvalidationjob.ts';
import { statusJson } from '../notebook/json.ts';
import type { OutputFormat } from './args.ts';
import { writeLine } from './io.ts';

/** The status as --output asks: indented JSON, or the text below. */
export function writeStatus(
  out: Writable,
  status: NotebookValidationJobStatus,
  format: OutputFormat,
  options: { allCells?: boolean } = {},
): void {
  if (format === 'json') writeLine(out, statusJson(status, true));
  else writeStatusText(out, status, options);
}

/** The verdict, then failed cells and golden differences; `allCells` lists every cell. */
function writeStatusText(
  out: Writable,
  status: NotebookValidationJobStatus,
  options: { allCells?: boolean } = {},
): void {
  writeLine(out, `${status.phase ?? 'Pending'}: ${status.message ?? ''}`);
  for (const r of status.results ?? []) {
    if (r.status === 'Failure')
      writeLine(out, `  cell ${r.cellIndex}: ${r.errorMessage ?? r.errorName ?? 'failed'}`);
    else if (options.allCells)
      writeLine(
        out,
        `  cell ${r.cellIndex}: ${r.status}${r.executionTime ? ` (${r.executionTime})` : ''}`,
      );
  }
  const comparison = status.comparisonResult;
  if (comparison && options.allCells)
    writeLine(
      out,
      `  golden: ${comparison.result} (${comparison.matchedCells} of ${comparison.totalCells} cells match, ${comparison.strategy})`,
    );
  for (const d of comparison?.diffs ?? []) {
    writeLine(out, `  golden: cell ${d.cellIndex} ${d.diffType} (${d.severity})`);
  }
}
