// The cluster side of the CLI (`nbv submit`, `nbv status`): the flags and client they share,
// reading one NotebookValidationJob by name, and following it until it ends (watch,
// re-established after the apiserver closes it or a connection drops).
import type { NotebookValidationJob } from '../api/notebookvalidationjob.ts';
import { notebookValidationJobs } from '../controllers/notebookvalidationjob/controller.ts';
import { isTerminal } from '../controllers/notebookvalidationjob/decide.ts';
import { UserError } from '../errors.ts';
import { KubeClient, isGone, loadConnection, realClock, sleep } from '../runtime/index.ts';

/** The flags of every command that talks to a cluster. */
export const CLUSTER_OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  kubeconfig: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

/**
 * Runs `fn` with a client for `--kubeconfig` (else $KUBECONFIG, ~/.kube/config, in-cluster) and
 * the namespace to use: `--namespace`, else the context's, else "default".
 */
export async function withCluster<R>(
  flags: { kubeconfig?: string; namespace?: string },
  fn: (client: KubeClient, namespace: string) => Promise<R>,
): Promise<R> {
  const connection = loadConnection({ kubeconfig: flags.kubeconfig });
  const client = new KubeClient(connection);
  try {
    return await fn(client, flags.namespace ?? connection.namespace ?? 'default');
  } finally {
    client.close();
  }
}

export async function getJob(
  client: KubeClient,
  name: string,
  namespace: string,
): Promise<NotebookValidationJob> {
  const job = await client.get<NotebookValidationJob>(notebookValidationJobs, name, namespace);
  if (!job) throw new UserError(`notebookvalidationjob ${namespace}/${name} not found`, 1);
  return job;
}

/**
 * Calls `onChange` with each new version of the job until it is Succeeded or Failed, and returns
 * that version. Rejects with UserError when the job is deleted or `signal` aborts.
 */
export async function followJob(
  client: KubeClient,
  name: string,
  namespace: string,
  onChange: (job: NotebookValidationJob) => void,
  signal: AbortSignal,
): Promise<NotebookValidationJob> {
  let job = await getJob(client, name, namespace);
  onChange(job);
  while (!isTerminal(job.status)) {
    try {
      const events = client.watch<NotebookValidationJob>(notebookValidationJobs, {
        namespace,
        fieldSelector: `metadata.name=${name}`,
        resourceVersion: job.metadata.resourceVersion,
        timeoutSeconds: 60,
        signal,
      });
      for await (const event of events) {
        if (event.type === 'BOOKMARK') continue;
        if (event.type === 'DELETED')
          throw new UserError(`notebookvalidationjob ${namespace}/${name} was deleted`, 1);
        job = event.object;
        onChange(job);
        if (isTerminal(job.status)) break;
      }
    } catch (err) {
      if (err instanceof UserError) throw err;
      if (signal.aborted) throw new UserError(`gave up waiting for ${namespace}/${name}`, 124);
      // 410 Gone or a dropped connection: read the job again and watch from there.
      if (!isGone(err)) await sleep(realClock, 1000, signal);
      job = await getJob(client, name, namespace);
      onChange(job);
    }
  }
  return job;
}
