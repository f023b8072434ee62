// The report step: from what the execute step left (exit code, error, executed notebook, log)
// and the golden notebook, the job's status — phase, message, per-cell results, comparison.
// The pod runs it as `nbv report`; `nbv run` calls it in process with host paths.
import { open, readFile } from 'node:fs/promises';
import {
  ComparisonConfig,
  ValidationConfig,
  type CellResult,
  type ComparisonResult,
  type NotebookValidationJobStatus,
} from '../api/notebookvalidationjob.ts';
import { UserError, errorMessage } from '../errors.ts';
import { applyChecks, validationChecks } from './checks.ts';
import { compareNotebooks } from './compare.ts';
import { sourceCells } from './cells.ts';
import { NotebookMissingError, joinText, readNotebook, type Notebook } from './ipynb.ts';
import { cellResults } from './results.ts';
import {
  ENV_REPORT_CONFIG,
  EXECUTED_NOTEBOOK,
  EXECUTE_ERROR_FILE,
  EXECUTE_LOG,
  EXIT_CELL_FAILED,
  EXIT_CODE_FILE,
  EXIT_NO_PYTHON,
  EXIT_OK,
  EXIT_TIMED_OUT,
  type ReportConfig,
} from './steps.ts';
import { stripAnsi, truncateEnd } from './text.ts';

/** Where the report step finds its inputs (pod paths in the pod, host paths under `nbv run`). */
export interface ReportPaths {
  exitCode: string;
  executeError: string;
  executedNotebook: string;
  executeLog: string;
  /** The golden notebook, when the job has one. */
  golden?: string;
}

/** The status plus what the HTML report shows besides it. */
export interface ValidationReport {
  status: NotebookValidationJobStatus & { phase: 'Succeeded' | 'Failed'; message: string };
  /** Short machine-readable cause of a failure (CellFailed, GoldenMismatch, NotebookNotFound, ...). */
  reason?: string;
  notebookPath: string;
  /** Sources of the source notebook's cells, shortened, by cell index. */
  sources: { index: number; cellType: string; source: string }[];
  logTail?: string;
}

const MAX_SOURCE_CHARS = 4000;
const LOG_TAIL_BYTES = 4000;
const MAX_MESSAGE_CHARS = 1000;

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The end of a file, however large it grew. */
export async function readTail(path: string, bytes = LOG_TAIL_BYTES): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path);
  } catch {
    return undefined;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return stripAnsi(buffer.toString('utf8'));
  } finally {
    await handle.close();
  }
}

function parseConfig<T>(schema: { parse: (v: unknown) => T }, value: unknown, field: string): T {
  try {
    return schema.parse(value ?? {});
  } catch (err) {
    throw new UserError(`report config: ${field} is invalid: ${errorMessage(err)}`);
  }
}

interface Outcome {
  phase: 'Succeeded' | 'Failed';
  reason?: string;
  message: string;
}

function describeFailures(results: readonly CellResult[]): Outcome | undefined {
  const failed = results.filter((r) => r.status === 'Failure');
  const first = failed[0];
  if (!first) return undefined;
  const more =
    failed.length > 1
      ? ` (${failed.length} cells failed: ${failed.map((r) => r.cellIndex).join(', ')})`
      : '';
  const reason = first.errorName === 'ValidationCheck' ? 'ValidationCheckFailed' : 'CellFailed';
  return {
    phase: 'Failed',
    reason,
    message: `cell ${first.cellIndex} failed: ${first.errorMessage ?? first.errorName ?? 'error'}${more}`,
  };
}

function describeComparison(c: ComparisonResult): string {
  const cells = (c.diffs ?? [])
    .filter((d) => d.severity !== 'minor')
    .map((d) => `${d.cellIndex} (${d.diffType})`);
  return `golden comparison (${c.strategy}) failed: ${c.mismatchedCells} of ${c.totalCells} code cells differ${cells.length ? `: cells ${cells.slice(0, 10).join(', ')}` : ''}`;
}

function executeFailure(
  exitCode: number | undefined,
  error: { reason?: string; message?: string } | undefined,
  logTail: string | undefined,
): Outcome {
  if (error?.reason)
    return {
      phase: 'Failed',
      reason: error.reason,
      message: `${error.reason}: ${error.message ?? ''}`,
    };
  if (exitCode === undefined)
    return {
      phase: 'Failed',
      reason: 'ExecuteDidNotFinish',
      message: 'the execute step left no exit code: it was stopped before papermill finished',
    };
  if (exitCode === EXIT_TIMED_OUT)
    return {
      phase: 'Failed',
      reason: 'Timeout',
      message: 'execution was stopped at the job timeout (spec.timeout)',
    };
  if (exitCode === EXIT_NO_PYTHON)
    return {
      phase: 'Failed',
      reason: 'PythonNotFound',
      message: 'python3 was not found by the execute step',
    };
  const last = logTail?.trim().split('\n').at(-1) ?? '';
  return {
    phase: 'Failed',
    reason: 'ExecutionFailed',
    message: `papermill exited with code ${exitCode}${last ? `: ${last}` : ''}`,
  };
}

/**
 * Builds the report. Never throws for a bad notebook, a missing file or a failed run: those are
 * a Failed status naming the cause. Throws UserError only for an invalid ReportConfig.
 */
export async function buildReport(
  config: ReportConfig,
  paths: ReportPaths,
): Promise<ValidationReport> {
  const comparisonConfig = parseConfig(
    ComparisonConfig,
    config.comparisonConfig,
    'comparisonConfig',
  );
  const validationConfig = parseConfig(
    ValidationConfig,
    config.validationConfig,
    'validationConfig',
  );
  const exitText = await readText(paths.exitCode);
  const exitCode =
    exitText === undefined || exitText.trim() === '' ? undefined : Number(exitText.trim());
  const errorText = await readText(paths.executeError);
  let executeError: { reason?: string; message?: string } | undefined;
  try {
    executeError = errorText ? (JSON.parse(errorText) as typeof executeError) : undefined;
  } catch {
    executeError = { reason: 'ExecuteFailed', message: truncateEnd(errorText ?? '', 500) };
  }
  const logTail = await readTail(paths.executeLog);

  let executed: Notebook | undefined;
  let outcome: Outcome | undefined;
  if (
    executeError ||
    exitCode === undefined ||
    ![EXIT_OK, EXIT_CELL_FAILED, EXIT_TIMED_OUT].includes(exitCode)
  ) {
    outcome = executeFailure(exitCode, executeError, logTail);
  }
  try {
    executed = await readNotebook(paths.executedNotebook, 'executed notebook');
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    // A missing notebook means the step failed before papermill wrote it: its log says why.
    outcome ??=
      err instanceof NotebookMissingError
        ? executeFailure(exitCode, undefined, logTail)
        : { phase: 'Failed', reason: 'ExecutedNotebookInvalid', message: err.message };
  }

  let results: CellResult[] | undefined;
  let comparisonResult: ComparisonResult | undefined;
  if (executed) {
    const failures = validationChecks(executed, validationConfig);
    const cells = applyChecks(cellResults(executed), failures);
    results = cells;
    // A check on a cell that has no result (missing, or not a code cell) fails the job itself.
    const orphan = failures.find((f) => !cells.some((r) => r.cellIndex === f.cellIndex));
    if (exitCode === EXIT_TIMED_OUT) outcome ??= executeFailure(exitCode, undefined, logTail);
    outcome ??= describeFailures(results);
    if (orphan)
      outcome ??= {
        phase: 'Failed',
        reason: 'ValidationCheckFailed',
        message: `${orphan.check}: ${orphan.message}`,
      };
    if (!outcome && exitCode === EXIT_CELL_FAILED)
      outcome = executeFailure(exitCode, undefined, logTail);
    if (paths.golden) {
      try {
        const golden = await readNotebook(paths.golden, 'golden notebook');
        comparisonResult = compareNotebooks(golden, executed, {
          config: comparisonConfig,
          strict: validationConfig.strictMode,
        });
        if (comparisonResult.result === 'failed')
          outcome ??= {
            phase: 'Failed',
            reason: 'GoldenMismatch',
            message: describeComparison(comparisonResult),
          };
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        outcome ??= { phase: 'Failed', reason: 'GoldenNotebookInvalid', message: err.message };
      }
    }
  }
  if (paths.golden && !comparisonResult) {
    comparisonResult = {
      strategy: comparisonConfig.strategy,
      result: 'skipped',
      totalCells: 0,
      matchedCells: 0,
      mismatchedCells: 0,
    };
  }
  const codeCells = results?.length ?? 0;
  const final: Outcome = outcome ?? {
    phase: 'Succeeded',
    message: `all ${codeCells} code cells succeeded${comparisonResult?.result === 'matched' ? `; golden comparison (${comparisonResult.strategy}) matched ${comparisonResult.matchedCells} of ${comparisonResult.totalCells} cells` : ''}`,
  };
  return {
    status: {
      phase: final.phase,
      message: truncateEnd(final.message, MAX_MESSAGE_CHARS),
      ...(results ? { results } : {}),
      ...(comparisonResult ? { comparisonResult } : {}),
    },
    ...(final.reason ? { reason: final.reason } : {}),
    notebookPath: config.notebookPath,
    sources: executed
      ? sourceCells(executed).map(({ index, cell }) => ({
          index,
          cellType: cell.cell_type,
          source: truncateEnd(joinText(cell.source), MAX_SOURCE_CHARS),
        }))
      : [],
    ...(logTail ? { logTail } : {}),
  };
}

/** The report's inputs at their pod paths, optionally moved (`nbv run` maps them to the host). */
export function reportPaths(
  config: ReportConfig,
  map: (podPath: string) => string = (p) => p,
): ReportPaths {
  return {
    exitCode: map(EXIT_CODE_FILE),
    executeError: map(EXECUTE_ERROR_FILE),
    executedNotebook: map(EXECUTED_NOTEBOOK),
    executeLog: map(EXECUTE_LOG),
    ...(config.goldenPath ? { golden: map(config.goldenPath) } : {}),
  };
}

/** The ReportConfig from the report step's environment. */
export function reportConfigFromEnv(env: NodeJS.ProcessEnv): ReportConfig {
  const text = env[ENV_REPORT_CONFIG];
  if (!text)
    throw new UserError(
      `${ENV_REPORT_CONFIG} is not set: the report step gets its configuration from the pod`,
    );
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${ENV_REPORT_CONFIG} is not JSON: ${errorMessage(err)}`);
  }
  const config = value as Partial<ReportConfig> | null;
  if (typeof config !== 'object' || config === null || typeof config.notebookPath !== 'string') {
    throw new UserError(`${ENV_REPORT_CONFIG} has no notebookPath`);
  }
  return config as ReportConfig;
}
