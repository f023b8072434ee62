// The JSON report: the job's status, as the report step prints it (one line on stdout) and as
// `nbv run --report-dir` writes it.
import type { NotebookValidationJobStatus } from '../api/notebookvalidationjob.ts';

export function statusJson(status: NotebookValidationJobStatus, pretty = false): string {
  return JSON.stringify(status, null, pretty ? 2 : undefined);
}

/**
 * The status from a report step's log: the last line that is a JSON object with a phase (the
 * log may hold other lines, since a pod's log mixes stdout and stderr). Undefined when none is.
 */
export function parseReportLog(log: string): NotebookValidationJobStatus | undefined {
  const lines = log.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = (lines[i] as string).trim();
    if (!line.startsWith('{')) continue;
    try {
      const value = JSON.parse(line) as NotebookValidationJobStatus;
      if (typeof value === 'object' && value !== null && typeof value.phase === 'string')
        return value;
    } catch {
      // not the report line
    }
  }
  return undefined;
}
