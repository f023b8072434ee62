// nbv submit FILE [--wait]: create a NotebookValidationJob (and the other objects of its file)
// in the cluster, optionally follow it to the end and print its per-cell results.
import { readManifestFile } from '../../api/manifest-file.ts';
import type { NotebookValidationJob } from '../../api/notebookvalidationjob.ts';
import { UserError, errorMessage } from '../../errors.ts';
import { outputFormat, parseCommandLine } from '../args.ts';
import { isAlreadyExists, type KubeObject } from '../../runtime/index.ts';
import { parseGoDuration } from '../../util/duration.ts';
import { admit, isNbvObject } from '../../validation/admission.ts';
import { formatProblem } from '../../validation/problems.ts';
import { CLUSTER_OPTIONS, followJob, withCluster } from '../cluster-jobs.ts';
import { writeLine, type CliIo } from '../io.ts';
import { writeStatus } from '../status-text.ts';

const USAGE = `Usage: nbv submit FILE [--wait] [--timeout DURATION] [--namespace NS] [--kubeconfig FILE] [--output text|json]

Creates every object of FILE in the cluster (objects that exist already are kept as they are;
a NotebookValidationJob that exists is an error: a job is one run). With --wait, follows the job
until it ends, prints its per-cell results and exits 0 when it succeeded, 1 when it failed,
124 when --timeout passed first.`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(
    argv,
    { wait: { type: 'boolean' }, timeout: { type: 'string' }, ...CLUSTER_OPTIONS },
    USAGE,
    true,
  );
  if (values.help) {
    writeLine(io.stdout, USAGE);
    return 0;
  }
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UserError(USAGE);
  const output = outputFormat(values.output);
  const timeoutMs = values.timeout === undefined ? undefined : parseGoDuration(values.timeout);
  if (timeoutMs === undefined && values.timeout !== undefined)
    throw new UserError(`--timeout ${values.timeout}: expected a duration such as 90s or 15m`);

  const stream = await readManifestFile(file);
  if (stream.syntaxErrors.length > 0)
    throw new UserError(stream.syntaxErrors.map((e) => `${file}:${e}`).join('\n'));
  // Admission as the webhook would do it, before anything is created.
  const objects: KubeObject[] = [];
  let failed = false;
  for (const doc of stream.documents) {
    if (isNbvObject(doc.object)) {
      const outcome = admit(doc.object);
      for (const p of outcome.problems)
        writeLine(io.stderr, `${file}:${doc.line}: ${formatProblem(p)}`);
      if (!outcome.object) failed = true;
    }
    objects.push(doc.object as KubeObject);
  }
  if (failed) throw new UserError(`${file}: not submitted (see above)`);
  const jobs = objects.filter(
    (o): o is NotebookValidationJob => o.kind === 'NotebookValidationJob',
  );
  if (values.wait && jobs.length !== 1)
    throw new UserError(
      `${file}: --wait follows one NotebookValidationJob; the file has ${jobs.length}`,
    );

  return withCluster(values, async (client, namespace) => {
    for (const obj of objects) {
      const withNamespace = {
        ...obj,
        metadata: { ...obj.metadata, namespace: obj.metadata?.namespace ?? namespace },
      };
      const what = `${obj.kind?.toLowerCase()} ${withNamespace.metadata.namespace}/${obj.metadata?.name}`;
      try {
        await client.create(withNamespace);
        writeLine(io.stderr, `${what} created`);
      } catch (err) {
        if (!isAlreadyExists(err)) throw new UserError(`${what}: ${errorMessage(err)}`, 1);
        if (obj.kind === 'NotebookValidationJob')
          throw new UserError(
            `${what} exists already: a job is one run; delete it or choose another name`,
            1,
          );
        writeLine(io.stderr, `${what} exists, kept`);
      }
    }
    const job = jobs[0];
    if (!values.wait || !job) return 0;
    const name = job.metadata.name ?? '';
    const jobNamespace = job.metadata.namespace ?? namespace;
    let last = '';
    const signal =
      timeoutMs === undefined ? new AbortController().signal : AbortSignal.timeout(timeoutMs);
    const done = await followJob(
      client,
      name,
      jobNamespace,
      (current) => {
        const line = `${current.status?.phase ?? 'Pending'}: ${current.status?.message ?? 'waiting for the operator'}`;
        if (line !== last) writeLine(io.stderr, `  ${line}`);
        last = line;
      },
      signal,
    );
    const status = done.status ?? {};
    writeStatus(io.stdout, status, output, { allCells: true });
    return status.phase === 'Succeeded' ? 0 : 1;
  });
}
