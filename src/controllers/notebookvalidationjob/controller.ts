// The NotebookValidationJob controller: read the job and the pod of its current attempt, decide
// (decide.ts, pure), then act in an order that survives a crash at any point:
//   1. delete a pod that must stop, create the attempt's pod (deterministic name, so a repeat
//      finds the existing one instead of making a second);
//   2. write status once (server-side apply), only if it changed;
//   3. record Events and metrics for transitions the status write made.
// Status is written after the pod exists: a status naming a pod that was never created would
// read as "the pod was deleted" on the next pass.
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { NotebookValidationJob } from '../../api/notebookvalidationjob.ts';
import { LABEL_COMPONENT, LABEL_MANAGED_BY, MANAGED_BY } from '../../builders/labels.ts';
import { STEP_REPORT } from '../../builders/pod-layout.ts';
import { buildValidationPod, validationPodName } from '../../builders/validation-pod.ts';
import type { OperatorSettings } from '../../operator/settings.ts';
import {
  parseTime,
  resources,
  type KubeClient,
  type KubeObject,
  type Manager,
  type ReconcileContext,
  type ReconcileOutcome,
  type Request,
  type Store,
} from '../../runtime/index.ts';
import { admit } from '../../validation/admission.ts';
import type { Problem } from '../../validation/problems.ts';
import { OwnWrites, recordEvent, resourceTypeOf } from '../common.ts';
import { decide, currentAttempt, isTerminal, type NvjDecision } from './decide.ts';
import { NvjMetrics } from './metrics.ts';
import { podState } from './pod-state.ts';
import { REPORT_LOG_LIMIT_BYTES, readReport } from './report-reading.ts';

export const CONTROLLER_NAME = 'notebookvalidationjob';
/** Events carry it so that notification tools can pick theirs (the Go operator's label). */
export const NOTIFICATION_LABEL = 'mlops.dev/notification-type';
/** Validation pods nbv made: the pod informer watches only these. */
export const VALIDATION_POD_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_COMPONENT}=validation`;

export const notebookValidationJobs = resourceTypeOf('NotebookValidationJob');

/**
 * When the controller ends a pod that outlived its deadline: its start plus its own
 * activeDeadlineSeconds (the spec.timeout it was built with, even if the spec changed since),
 * plus a grace period in which the kubelet should have acted first.
 */
export function podDeadline(pod: V1Pod): Date | undefined {
  const started = parseTime(pod.status?.startTime) ?? parseTime(pod.metadata?.creationTimestamp);
  const seconds = pod.spec?.activeDeadlineSeconds;
  if (!started || seconds === undefined) return undefined;
  const graceMs = Math.min(30_000, Math.max(2_000, seconds * 100));
  return new Date(started.getTime() + seconds * 1000 + graceMs);
}

function slimStatuses(statuses: V1ContainerStatus[] | undefined): V1ContainerStatus[] | undefined {
  return statuses?.map(({ name, image, imageID, ready, restartCount, state }) => ({
    name,
    image,
    imageID,
    ready,
    restartCount,
    ...(state ? { state } : {}),
  }));
}

/**
 * A validation pod as the cache keeps it: what podState(), readReport() and the metrics read.
 * The steps' scripts (9 KB of a 16 KB pod), env and volumes are the same in every pod and never
 * read back; dropping them is most of the operator's memory with thousands of jobs.
 */
export function slimValidationPod(obj: KubeObject): KubeObject {
  const pod = obj as V1Pod;
  const m = pod.metadata ?? {};
  const status = pod.status;
  const slim: V1Pod = {
    apiVersion: pod.apiVersion,
    kind: pod.kind,
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
      ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
      labels: m.labels,
      ownerReferences: m.ownerReferences,
    },
    spec: {
      containers: [],
      ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      ...(pod.spec?.activeDeadlineSeconds !== undefined
        ? { activeDeadlineSeconds: pod.spec.activeDeadlineSeconds }
        : {}),
    },
    ...(status
      ? {
          status: {
            phase: status.phase,
            reason: status.reason,
            message: status.message,
            startTime: status.startTime,
            initContainerStatuses: slimStatuses(status.initContainerStatuses),
            containerStatuses: slimStatuses(status.containerStatuses),
          },
        }
      : {}),
  };
  return slim as KubeObject;
}

/** The job with the defaults admission sets, so a job created without the webhook runs the same. */
function withDefaults(job: NotebookValidationJob): NotebookValidationJob {
  return (admit(job).object ?? job) as NotebookValidationJob;
}

const NO_PROBLEMS: readonly Problem[] = [];

export class NotebookValidationJobReconciler {
  readonly #client: KubeClient;
  readonly #jobs: Store<NotebookValidationJob>;
  readonly #pods: Store<V1Pod>;
  readonly #settings: OperatorSettings;
  readonly #metrics: NvjMetrics;
  readonly #writes: OwnWrites;
  /**
   * Admission's problems per job, with the generation they were found for: admit() parses the
   * whole object, and only a new generation (a spec change) can change its answer.
   */
  readonly #admitted = new Map<
    string,
    { uid?: string; generation: number; problems: readonly Problem[] }
  >();

  constructor(deps: {
    client: KubeClient;
    jobs: Store<NotebookValidationJob>;
    pods: Store<V1Pod>;
    settings: OperatorSettings;
    metrics: NvjMetrics;
  }) {
    this.#client = deps.client;
    this.#jobs = deps.jobs;
    this.#pods = deps.pods;
    this.#settings = deps.settings;
    this.#metrics = deps.metrics;
    this.#writes = new OwnWrites(deps.client);
  }

  async reconcile(request: Request, ctx: ReconcileContext): Promise<ReconcileOutcome> {
    const started = performance.now();
    const namespace = request.namespace ?? '';
    try {
      const outcome = await this.#reconcile(request, ctx);
      this.#metrics.reconcileDuration.observe(
        { namespace, result: 'success' },
        (performance.now() - started) / 1000,
      );
      return outcome;
    } catch (err) {
      this.#metrics.reconcileDuration.observe(
        { namespace, result: 'error' },
        (performance.now() - started) / 1000,
      );
      this.#metrics.reconcileErrors.inc({
        namespace,
        error_type: err instanceof Error ? err.name : 'unknown',
      });
      throw err;
    }
  }

  async #reconcile(request: Request, ctx: ReconcileContext): Promise<ReconcileOutcome> {
    const job = this.#jobs.get(request.key);
    if (!job) {
      this.#writes.forget(request.key);
      this.#admitted.delete(request.key);
      return;
    }
    // Being deleted: its pods go with it (owner references); nothing to add.
    if (job.metadata.deletionTimestamp) return;
    // Our own status write has not reached the cache yet; its watch event brings us back.
    if (this.#writes.behind(request.key, job)) return;
    if (isTerminal(job.status) && job.status?.observedGeneration === job.metadata.generation) {
      this.#admitted.delete(request.key);
      return;
    }

    const problems = this.#problems(request.key, job);
    const namespace = job.metadata.namespace ?? '';
    const name = job.metadata.name ?? '';
    const podName = validationPodName(name, currentAttempt(job.status));
    let pod = this.#pods.get(`${namespace}/${podName}`);
    if (!pod && job.status?.validationPodName === podName) {
      // The cache may simply not have seen our pod yet: ask before calling it deleted.
      pod = await this.#client.get<V1Pod>(resources.pods, podName, namespace);
    }
    if (pod && !pod.metadata?.ownerReferences?.some((o) => o.uid === job.metadata.uid)) {
      // A pod of a deleted namesake job; the garbage collector removes it.
      ctx.log.info({ pod: podName }, 'waiting for the pod of a previous job of this name to go');
      return { requeueAfter: 2_000 };
    }

    const reading = pod
      ? await readReport(pod, () =>
          this.#client.readPodLog(namespace, podName, {
            container: STEP_REPORT,
            limitBytes: REPORT_LOG_LIMIT_BYTES,
          }),
        )
      : undefined;
    const decision = decide({
      job,
      podName,
      pod: pod ? podState(pod, reading) : undefined,
      unsupported: problems.filter((p) => p.severity === 'warning'),
      invalid: problems.filter((p) => p.severity === 'error'),
      deadlineAt: pod ? podDeadline(pod) : undefined,
      now: new Date(),
    });

    await this.#act(job, decision, ctx);
    if (await this.#writes.writeStatus(request.key, job, decision.status))
      await this.#record(job, decision, pod, ctx);
    const waits = decision.actions.flatMap((a) => (a.type === 'requeue' ? [a.afterMs] : []));
    return waits.length > 0 ? { requeueAfter: Math.max(0, Math.min(...waits)) } : undefined;
  }

  #problems(key: string, job: NotebookValidationJob): readonly Problem[] {
    const { uid, generation } = job.metadata;
    const known = this.#admitted.get(key);
    if (known && known.uid === uid && known.generation === generation) return known.problems;
    const { problems } = admit(job);
    const found = problems.length > 0 ? problems : NO_PROBLEMS;
    if (generation !== undefined) this.#admitted.set(key, { uid, generation, problems: found });
    return found;
  }

  async #act(job: NotebookValidationJob, decision: NvjDecision, ctx: ReconcileContext) {
    const namespace = job.metadata.namespace ?? '';
    for (const action of decision.actions) {
      if (action.type === 'deletePod') {
        const pod = this.#pods.get(`${namespace}/${action.name}`);
        await this.#client.delete(
          resources.pods,
          { namespace, name: action.name },
          pod?.metadata?.uid ? { uid: pod.metadata.uid } : {},
        );
        ctx.log.info({ pod: action.name }, 'deleted pod');
      } else if (action.type === 'createPod') {
        const pod = buildValidationPod(withDefaults(job), {
          images: this.#settings.images,
          attempt: action.attempt,
        });
        await this.#client.create(pod, { tolerateExisting: true });
        ctx.log.info({ pod: pod.metadata?.name, attempt: action.attempt }, 'created pod');
      }
    }
  }

  async #record(
    job: NotebookValidationJob,
    decision: NvjDecision,
    pod: V1Pod | undefined,
    ctx: ReconcileContext,
  ) {
    if (!isTerminal(job.status) && isTerminal(decision.status))
      this.#metrics.finished({ ...job, status: decision.status }, pod);
    for (const event of decision.events) {
      await recordEvent(this.#client, job, event, ctx.log, { [NOTIFICATION_LABEL]: event.reason });
    }
  }
}

export function registerNotebookValidationJobController(
  manager: Manager,
  settings: OperatorSettings,
): void {
  const podSource = {
    resource: resources.pods,
    labelSelector: VALIDATION_POD_SELECTOR,
    transform: slimValidationPod,
  };
  const jobs = manager.informer<NotebookValidationJob>(notebookValidationJobs);
  const pods = manager.informer<V1Pod>(podSource);
  const metrics = new NvjMetrics(manager.registry, () => pods.store.values());
  const reconciler = new NotebookValidationJobReconciler({
    client: manager.client,
    jobs: jobs.store,
    pods: pods.store,
    settings,
    metrics,
  });
  manager.addController({
    name: CONTROLLER_NAME,
    primary: notebookValidationJobs,
    owns: [podSource],
    reconcile: (request, ctx) => reconciler.reconcile(request, ctx),
    workers: settings.workers,
  });
}
