import { writeFile } from 'node:fs/promises';
import { statusJson } from '../../notebook/json.ts';
import { buildReport, reportConfigFromEnv, reportPaths } from '../../notebook/report.ts';
import { writeReportFiles } from '../../notebook/report-files.ts';
import { formatTerminationMessage, summarize } from '../../notebook/summary.ts';
import { parseCommandLine } from '../args.ts';
import { writeLine, type CliIo } from '../io.ts';

const USAGE =
  'Usage: nbv report [--termination-message FILE] [--report-dir DIR] [--name NAME]\n\n' +
  "The validation pod's report step: reads what the execute step left in /workspace/.nbv and\n" +
  'NBV_REPORT_CONFIG, writes the summary to FILE and prints the full status as one JSON line.';

/**
 * `nbv report`: the validation pod's report step. Reads what the execute step left in the
 * workspace and NBV_REPORT_CONFIG, writes the summary to the termination message and prints the
 * full status as one JSON line. Exits 0 whatever the job's outcome: the outcome is the report.
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandLine(
    argv,
    {
      'termination-message': { type: 'string' },
      'report-dir': { type: 'string' },
      name: { type: 'string' },
    },
    USAGE,
  );
  if (values.help) {
    writeLine(io.stdout, USAGE);
    return 0;
  }
  const config = reportConfigFromEnv(io.env);
  const report = await buildReport(config, reportPaths(config));
  const terminationPath = values['termination-message'];
  if (terminationPath)
    await writeFile(terminationPath, formatTerminationMessage(summarize(report)));
  if (values['report-dir'])
    await writeReportFiles(report, values['report-dir'], values.name ?? config.notebookPath);
  writeLine(io.stdout, statusJson(report.status));
  return 0;
}
