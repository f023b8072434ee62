// The existing Go operator's notebookvalidationjob_* metrics, under the same names and labels, so
// its dashboards and alerts keep working. Reconcile counts and times per controller are the
// runtime's controller_runtime_* metrics.
import type { V1Pod } from '@kubernetes/client-node';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { NotebookValidationJob } from '../../api/notebookvalidationjob.ts';
import { STEP_GIT_CLONE } from '../../builders/pod-layout.ts';
import { parseTime } from '../../runtime/index.ts';

const DURATION_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600];

export class NvjMetrics {
  readonly reconcileDuration: Histogram<'namespace' | 'result'>;
  readonly reconcileErrors: Counter<'namespace' | 'error_type'>;
  readonly validations: Counter<'namespace' | 'status'>;
  readonly validationDuration: Histogram<'namespace'>;
  readonly gitCloneDuration: Histogram<'namespace'>;

  /** `pods` lists the validation pods in the cache, for the active-pods gauge. */
  constructor(registry: Registry, pods: () => Iterable<V1Pod>) {
    const registers = [registry];
    this.reconcileDuration = new Histogram({
      name: 'notebookvalidationjob_reconciliation_duration_seconds',
      help: 'Duration of NotebookValidationJob reconciliation in seconds',
      labelNames: ['namespace', 'result'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'notebookvalidationjob_reconciliation_errors_total',
      help: 'NotebookValidationJob reconciliations that ended in an error',
      labelNames: ['namespace', 'error_type'],
      registers,
    });
    this.validations = new Counter({
      name: 'notebookvalidationjob_validations_total',
      help: 'Finished validations by outcome (success, failure)',
      labelNames: ['namespace', 'status'],
      registers,
    });
    this.validationDuration = new Histogram({
      name: 'notebookvalidationjob_validation_duration_seconds',
      help: 'Time from a job start to its end, in seconds',
      labelNames: ['namespace'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.gitCloneDuration = new Histogram({
      name: 'notebookvalidationjob_git_clone_duration_seconds',
      help: "Duration of the validation pod's git-clone step, in seconds",
      labelNames: ['namespace'],
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers,
    });
    new Gauge({
      name: 'notebookvalidationjob_active_pods',
      help: 'Validation pods that exist, by namespace and pod phase',
      labelNames: ['namespace', 'phase'],
      registers,
      collect() {
        this.reset();
        for (const pod of pods()) {
          const phase = pod.status?.phase ?? 'Pending';
          if (phase === 'Succeeded' || phase === 'Failed') continue;
          this.inc({ namespace: pod.metadata?.namespace ?? '', phase });
        }
      },
    });
  }

  /** A job reached a terminal phase (counted once: the caller calls this on the transition). */
  finished(job: NotebookValidationJob, pod: V1Pod | undefined): void {
    const namespace = job.metadata.namespace ?? '';
    const status = job.status;
    this.validations.inc({
      namespace,
      status: status?.phase === 'Succeeded' ? 'success' : 'failure',
    });
    const start = parseTime(status?.startTime);
    const end = parseTime(status?.completionTime);
    if (start && end)
      this.validationDuration.observe({ namespace }, (end.getTime() - start.getTime()) / 1000);
    const clone = pod?.status?.initContainerStatuses?.find((s) => s.name === STEP_GIT_CLONE)?.state
      ?.terminated;
    const from = parseTime(clone?.startedAt);
    const to = parseTime(clone?.finishedAt);
    if (from && to)
      this.gitCloneDuration.observe({ namespace }, (to.getTime() - from.getTime()) / 1000);
  }
}
