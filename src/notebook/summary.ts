// The report step's termination message: a compact summary of at most 4 KiB (the kubelet's
// limit). The full status is the step's stdout; the summary says when the operator must read it.
import type { NotebookValidationJobStatus } from '../api/notebookvalidationjob.ts';
import type { ValidationReport } from './report.ts';
import { truncateEnd } from './text.ts';

export const TERMINATION_MESSAGE_LIMIT = 4096;
const SUMMARY_VERSION = 1;

export interface ReportSummary {
  /** Format version of this summary. */
  nbvReport: typeof SUMMARY_VERSION;
  phase: 'Succeeded' | 'Failed';
  message: string;
  reason?: string;
  cells: { total: number; succeeded: number; failed: number; skipped: number };
  /** Indices of the failed cells, the first 20. */
  failedCells: number[];
  comparison?: {
    strategy: string;
    result: string;
    totalCells: number;
    matchedCells: number;
    mismatchedCells: number;
  };
  /** The whole status when it fits; otherwise absent and `complete` is false: read the step's log. */
  status?: NotebookValidationJobStatus;
  complete: boolean;
}

export function summarize(report: ValidationReport): ReportSummary {
  const { status } = report;
  const results = status.results ?? [];
  const count = (s: string) => results.filter((r) => r.status === s).length;
  const c = status.comparisonResult;
  const base: ReportSummary = {
    nbvReport: SUMMARY_VERSION,
    phase: status.phase,
    message: truncateEnd(status.message, 1000),
    ...(report.reason ? { reason: report.reason } : {}),
    cells: {
      total: results.length,
      succeeded: count('Success'),
      failed: count('Failure'),
      skipped: count('Skipped'),
    },
    failedCells: results
      .filter((r) => r.status === 'Failure')
      .map((r) => r.cellIndex)
      .slice(0, 20),
    ...(c
      ? {
          comparison: {
            strategy: c.strategy,
            result: c.result,
            totalCells: c.totalCells,
            matchedCells: c.matchedCells,
            mismatchedCells: c.mismatchedCells,
          },
        }
      : {}),
    complete: false,
  };
  const whole: ReportSummary = { ...base, status, complete: true };
  return Buffer.byteLength(JSON.stringify(whole)) <= TERMINATION_MESSAGE_LIMIT ? whole : base;
}

export function formatTerminationMessage(summary: ReportSummary): string {
  return JSON.stringify(summary);
}

export type ParsedTerminationMessage =
  { ok: true; summary: ReportSummary } | { ok: false; error: string };

/**
 * Reads a report step's termination message. A message that is not a summary (empty, cut,
 * written by something else) is `ok: false` with the reason, never an exception, so that the
 * operator can tell "the report says Failed" from "there is no readable report".
 */
export function parseTerminationMessage(text: string): ParsedTerminationMessage {
  if (text.trim() === '') return { ok: false, error: 'the termination message is empty' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `the termination message is not JSON: ${(err as Error).message}` };
  }
  const v = value as Partial<ReportSummary> | null;
  if (typeof v !== 'object' || v === null || v.nbvReport !== SUMMARY_VERSION) {
    return {
      ok: false,
      error: `the termination message is not an nbv report summary (version ${SUMMARY_VERSION})`,
    };
  }
  if (
    (v.phase !== 'Succeeded' && v.phase !== 'Failed') ||
    typeof v.message !== 'string' ||
    typeof v.complete !== 'boolean' ||
    typeof v.cells !== 'object'
  ) {
    return {
      ok: false,
      error: 'the termination message is an nbv report summary with missing or invalid fields',
    };
  }
  return { ok: true, summary: v as ReportSummary };
}
