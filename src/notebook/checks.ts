// validationConfig checks on the executed notebook: failOnStderr, failOnWarnings, strictMode
// (both of those, and minor comparison differences fail) and expectedOutputs.
import type { CellResult, ExpectedOutput, ValidationConfig } from '../api/notebookvalidationjob.ts';
import { sourceCells, type IndexedCell } from './cells.ts';
import { joinText, type Cell, type DataOutput, type Notebook } from './ipynb.ts';
import { NBV_MIME_PREFIX, outputText } from './results.ts';
import { stripAnsi, truncateEnd } from './text.ts';

export interface CheckFailure {
  cellIndex: number;
  check: string;
  message: string;
}

/** What nbv's kernel formatter records of a displayed value (see steps.ts). */
interface ValueInfo {
  types?: string[];
  value?: number | string;
  shape?: number[];
  empty?: boolean;
}

const VALUE_MIME = `${NBV_MIME_PREFIX}value+json`;
const WARNING = /\b[A-Z]\w*Warning\b[:(]/;

function stderrText(cell: Cell): string {
  return stripAnsi(
    (cell.outputs ?? [])
      .map((o) => (o.output_type === 'stream' && o.name === 'stderr' ? joinText(o.text) : ''))
      .join(''),
  );
}

function firstLine(text: string, pattern?: RegExp): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return truncateEnd((pattern ? lines.find((l) => pattern.test(l)) : lines[0]) ?? '', 300);
}

function valueOf(cell: Cell): { info?: ValueInfo; plain?: string } {
  const results = (cell.outputs ?? []).filter(
    (o): o is DataOutput => o.output_type === 'execute_result' || o.output_type === 'display_data',
  );
  const last = results.find((o) => o.output_type === 'execute_result') ?? results.at(-1);
  if (!last) return {};
  const plain = last.data['text/plain'];
  return {
    ...(last.data[VALUE_MIME] ? { info: last.data[VALUE_MIME] as ValueInfo } : {}),
    ...(plain !== undefined ? { plain: joinText(plain as string | string[]) } : {}),
  };
}

/** "pandas.DataFrame" matches "pandas.core.frame.DataFrame"; "float" matches "builtins.float". */
export function typeMatches(expected: string, types: readonly string[]): boolean {
  return types.some((full) => {
    if (full === expected || full === `builtins.${expected}`) return true;
    const parts = full.split('.');
    return `${parts[0]}.${parts.at(-1)}` === expected || parts.slice(1).join('.') === expected;
  });
}

/** "rows,cols" (or "(rows, cols)"), -1 for any size. */
export function shapeMatches(expected: string, shape: readonly number[]): boolean {
  const want = expected
    .replace(/[()[\]\s]/g, '')
    .split(',')
    .filter((p) => p !== '')
    .map(Number);
  return want.length === shape.length && want.every((n, i) => n === -1 || n === shape[i]);
}

function checkExpected(spec: ExpectedOutput, entry: IndexedCell | undefined): string[] {
  if (!entry) return [`cell ${spec.cell} does not exist`];
  if (entry.cell.cell_type !== 'code')
    return [`cell ${spec.cell} is a ${entry.cell.cell_type} cell, not a code cell`];
  const problems: string[] = [];
  const { info, plain } = valueOf(entry.cell);
  const noValue = 'has no result value to check (its last line is not an expression)';
  if (spec.type !== undefined) {
    if (!info?.types) problems.push(`expected type ${spec.type} but the cell ${noValue}`);
    else if (!typeMatches(spec.type, info.types))
      problems.push(`expected type ${spec.type}, got ${info.types[0]}`);
  }
  if (spec.shape !== undefined) {
    if (!info?.shape) problems.push(`expected shape ${spec.shape} but the result has no shape`);
    else if (!shapeMatches(spec.shape, info.shape))
      problems.push(`expected shape ${spec.shape}, got ${info.shape.join(',')}`);
  }
  if (spec.minValue !== undefined || spec.maxValue !== undefined) {
    const value =
      typeof info?.value === 'number'
        ? info.value
        : plain !== undefined
          ? Number(plain.trim())
          : Number.NaN;
    if (!Number.isFinite(value))
      problems.push(
        `expected a number in [${spec.minValue ?? '-∞'}, ${spec.maxValue ?? '∞'}] but the cell ${plain === undefined ? noValue : `shows ${truncateEnd(plain, 80)}`}`,
      );
    else if (spec.minValue !== undefined && value < Number(spec.minValue))
      problems.push(`value ${value} is below minValue ${spec.minValue}`);
    else if (spec.maxValue !== undefined && value > Number(spec.maxValue))
      problems.push(`value ${value} is above maxValue ${spec.maxValue}`);
  }
  if (spec.notEmpty) {
    const empty = info?.empty ?? outputText(entry.cell.outputs ?? []).trim() === '';
    if (empty) problems.push('expected a non-empty output');
  }
  return problems;
}

export function validationChecks(executed: Notebook, config: ValidationConfig): CheckFailure[] {
  const cells = sourceCells(executed);
  const failures: CheckFailure[] = [];
  const stderr = config.failOnStderr || config.strictMode;
  const warnings = config.failOnWarnings || config.strictMode;
  for (const { index, cell } of cells) {
    if (cell.cell_type !== 'code' || (!stderr && !warnings)) continue;
    const text = stderrText(cell);
    if (stderr && text.trim() !== '')
      failures.push({
        cellIndex: index,
        check: 'failOnStderr',
        message: `wrote to stderr: ${firstLine(text)}`,
      });
    else if (warnings && WARNING.test(text))
      failures.push({
        cellIndex: index,
        check: 'failOnWarnings',
        message: `emitted a warning: ${firstLine(text, WARNING)}`,
      });
  }
  for (const spec of config.expectedOutputs ?? []) {
    for (const message of checkExpected(spec, cells[spec.cell]))
      failures.push({ cellIndex: spec.cell, check: 'expectedOutputs', message });
  }
  return failures;
}

/** Marks the cells that failed a check; a cell that already failed keeps its own error. */
export function applyChecks(
  results: CellResult[],
  failures: readonly CheckFailure[],
): CellResult[] {
  return results.map((r) => {
    const mine = failures.filter((f) => f.cellIndex === r.cellIndex);
    if (mine.length === 0 || r.status === 'Failure') return r;
    const message = mine.map((f) => `${f.check}: ${f.message}`).join('; ');
    return {
      ...r,
      status: 'Failure',
      errorName: 'ValidationCheck',
      errorValue: message,
      errorMessage: `ValidationCheck: ${message}`,
    };
  });
}
