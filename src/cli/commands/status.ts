// nbv status NAME: a NotebookValidationJob's phase, conditions and per-cell results.
import { UserError } from '../../errors.ts';
import { outputFormat, parseCommandLine } from '../args.ts';
import { statusJson } from '../../notebook/json.ts';
import { KubeClient, loadConnection } from '../../runtime/index.ts';
import { getJob } from '../cluster-jobs.ts';
import { writeLine, type CliIo } from '../io.ts';
import { writeStatusText } from '../status-text.ts';

const USAGE = `Usage: nbv status NAME [--namespace NS] [--kubeconfig FILE] [--output text|json]

Exit code 0 when the job succeeded, 1 when it failed or is not found, 3 while it runs.`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(
    argv,
    {
      namespace: { type: 'string', short: 'n' },
      kubeconfig: { type: 'string' },
      output: { type: 'string', short: 'o' },
    },
    USAGE,
    true,
  );
  if (values.help) {
    writeLine(io.stdout, USAGE);
    return 0;
  }
  const name = positionals[0];
  if (!name || positionals.length > 1) throw new UserError(USAGE);
  const output = outputFormat(values.output);
  const connection = loadConnection({ kubeconfig: values.kubeconfig });
  const client = new KubeClient(connection);
  try {
    const job = await getJob(client, name, values.namespace ?? connection.namespace ?? 'default');
    const status = job.status ?? {};
    if (output === 'json') writeLine(io.stdout, statusJson(status, true));
    else {
      writeStatusText(io.stdout, status, { allCells: true });
      for (const c of status.conditions ?? [])
        writeLine(
          io.stdout,
          `  condition ${c.type}=${c.status} ${c.reason}${c.message ? `: ${c.message}` : ''}`,
        );
      if (status.validationPodName) writeLine(io.stdout, `  pod: ${status.validationPodName}`);
    }
    if (status.phase === 'Succeeded') return 0;
    return status.phase === 'Failed' ? 1 : 3;
  } finally {
    client.close();
  }
}
