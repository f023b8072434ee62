// Reading NotebookValidationJobs from a cluster for the CLI: one job by name, and following it
// until it ends (watch, re-established after the apiserver closes it or a connection drops).
import type { NotebookValidationJob } from '../api/notebookvalidationjob.ts';
import { notebookValidationJobs } from '../controllers/notebookvalidationjob/controller.ts';
import { isTerminal } from '../controllers/notebookvalidationjob/decide.ts';
import { UserError } from '../errors.ts';
import { isGone, realClock, sleep, type KubeClient } from '../runtime/index.ts';

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
