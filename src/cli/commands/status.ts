// nbv status NAME: a NotebookValidationJob's phase, conditions and per-cell results.
import { UserError } from '../../errors.ts';
import { outputFormat, parseCommandLine } from '../args.ts';
import { CLUSTER_OPTIONS, getJob, withCluster } from '../cluster-jobs.ts';
import { writeLine, type CliIo } from '../io.ts';
import { writeStatus } from '../status-text.ts';

const USAGE = `Usage: nbv status NAME [--namespace NS] [--kubeconfig FILE] [--output text|json]

Exit code 0 when the job succeeded, 1 when it failed or is not found, 3 while it runs.`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, CLUSTER_OPTIONS, USAGE, true);
  if (values.help) {
    writeLine(io.stdout, USAGE);
    return 0;
  }
  const name = positionals[0];
  if (!name || positionals.length > 1) throw new UserError(USAGE);
  const output = outputFormat(values.output);
  const job = await withCluster(values, (client, namespace) => getJob(client, name, namespace));
  const status = job.status ?? {};
  writeStatus(io.stdout, status, output, { allCells: true });
  if (output === 'text') {
    for (const c of status.conditions ?? [])
      writeLine(
        io.stdout,
        `  condition ${c.type}=${c.status} ${c.reason}${c.message ? `: ${c.message}` : ''}`,
      );
    if (status.validationPodName) writeLine(io.stdout, `  pod: ${status.validationPodName}`);
  }
  if (status.phase === 'Succeeded') return 0;
  return status.phase === 'Failed' ? 1 : 3;
}
