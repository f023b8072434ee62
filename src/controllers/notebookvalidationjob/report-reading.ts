// Reading what the report step said: its termination message (a summary of at most 4 KiB) and,
// when the whole status did not fit, its log. Anything unreadable is a ReportReading with ok:
// false and the reason, which the decisions turn into Failed, never Succeeded.
import type { V1Pod } from '@kubernetes/client-node';
import type { NotebookValidationJobStatus } from '../../api/notebookvalidationjob.ts';
import { STEP_REPORT } from '../../builders/pod-layout.ts';
import { parseReportLog } from '../../notebook/json.ts';
import { parseTerminationMessage, type ReportSummary } from '../../notebook/summary.ts';
import type { ReportReading, ValidationOutcome } from './pod-state.ts';

/** A report holds per-cell outputs of a whole notebook; more than this is not a report. */
export const REPORT_LOG_LIMIT_BYTES = 8 * 1024 * 1024;

function outcomeOf(status: NotebookValidationJobStatus, summary: ReportSummary): ValidationOutcome {
  return {
    // The summary's phase is the verdict; the status only adds detail.
    phase: summary.phase,
    message: status.message ?? summary.message,
    ...(summary.reason ? { reason: summary.reason } : {}),
    ...(status.results ? { results: status.results } : {}),
    ...(status.comparisonResult ? { comparisonResult: status.comparisonResult } : {}),
  };
}

/**
 * The report of `pod`, or undefined while its report step has not terminated. `readLog` is
 * called only when the summary says the full status is in the log.
 */
export async function readReport(
  pod: V1Pod,
  readLog: () => Promise<string>,
): Promise<ReportReading | undefined> {
  const terminated = pod.status?.containerStatuses?.find((s) => s.name === STEP_REPORT)?.state
    ?.terminated;
  if (!terminated) return undefined;
  const parsed = parseTerminationMessage(terminated.message ?? '');
  if (!parsed.ok) return { ok: false, error: `report step: ${parsed.error}` };
  const { summary } = parsed;
  if (summary.complete && summary.status)
    return { ok: true, outcome: outcomeOf(summary.status, summary) };

  let logProblem: string;
  try {
    const status = parseReportLog(await readLog());
    if (status?.phase === summary.phase) return { ok: true, outcome: outcomeOf(status, summary) };
    logProblem = status
      ? `its log says ${status.phase}, its termination message ${summary.phase}`
      : 'its log holds no report line';
  } catch (err) {
    logProblem = `its log could not be read: ${(err as Error).message}`;
  }
  // The verdict stands (the report step computed it); only the per-cell detail is missing.
  return {
    ok: true,
    outcome: {
      phase: summary.phase,
      ...(summary.reason ? { reason: summary.reason } : {}),
      message: `${summary.message} (per-cell results unavailable: ${logProblem}; ${summary.cells.failed} of ${summary.cells.total} cells failed${summary.failedCells.length ? `: cells ${summary.failedCells.join(', ')}` : ''})`,
    },
  };
}
