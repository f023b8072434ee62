// nbv status NAME: a NotebookValidationJob's phase, conditions and per-cell results.
import { parseArgs } from 'node:util';
import { UserError, errorMessage } from '../../errors.ts';
import { statusJson } from '../../notebook/json.ts';
import { KubeClient, loadConnection } from '../../runtime/index.ts';
import { getJob } from '../cluster-jobs.ts';
import { writeLine, type CliIo } from '../io.ts';
import { writeStatusText } from '../status-text.ts';

const USAGE = `Usage: nbv status NAME [--namespace NS] [--kubeconfig FILE] [--output text|json]

Exit code 0 when the job succeeded, 1 when it failed or is not found, 3 while it runs.`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        namespace: { type: 'string', short: 'n' },
        kubeconfig: { type: 'string' },
        output: { type: 'string', short: 'o', default: 'text' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UserError(`${errorMessage(err)}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    writeLine(io.stdout, USAGE);
    return 0;
  }
  const name = positionals[0];
  if (!name || positionals.length > 1) throw new UserError(USAGE);
  if (values.output !== 'text' && values.output !== 'json')
    throw new UserError(`--output ${values.output}: expected text or json`);
  const connection = loadConnection({ kubeconfig: values.kubeconfig });
  const client = new KubeClient(connection);
  try {
    const job = await getJob(client, name, values.namespace ?? connection.namespace ?? 'default');
    const status = job.status ?? {};
    if (values.output === 'json') writeLine(io.stdout, statusJson(status, true));
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
