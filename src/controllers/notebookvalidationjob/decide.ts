// The NotebookValidationJob controller's decisions, as pure functions: from the job and the pod
// of its current attempt to the status to write and the actions to take. The reconciler only
// reads, calls `decide` and applies what it returns.
//
// Phases move forward only: Initializing -> ValidationRunning -> Succeeded | Failed. A retry
// keeps the phase and shows in the Progressing condition, retryCount and lastRetryTime.
import type {
  NotebookValidationJob,
  NotebookValidationJobStatus,
} from '../../api/notebookvalidationjob.ts';
import type { Problem } from '../../validation/problems.ts';
import type { DecidedEvent } from '../common.ts';
import { setCondition, removeCondition } from '../conditions.ts';
import type { PodState } from './pod-state.ts';

export const MAX_ATTEMPTS = 3;
const RETRY_BASE_MS = 10_000;

export const CONDITION_READY = 'Ready';
export const CONDITION_COMPLETE = 'ValidationComplete';
export const CONDITION_PROGRESSING = 'Progressing';
export const CONDITION_UNSUPPORTED = 'UnsupportedFields';

export type NvjAction =
  | { type: 'createPod'; attempt: number }
  | { type: 'deletePod'; name: string }
  | { type: 'requeue'; afterMs: number };

export interface NvjDecision {
  status: NotebookValidationJobStatus;
  actions: NvjAction[];
  events: DecidedEvent[];
}

export interface NvjObservation {
  job: NotebookValidationJob;
  /** Name of the pod of the current attempt (status.retryCount + 1). */
  podName: string;
  /** State of that pod, or undefined when it does not exist. */
  pod: PodState | undefined;
  /** Fields the job uses that nbv does not implement (admission warnings). */
  unsupported: readonly Problem[];
  /** Admission errors: only seen when the job was created with the webhook off. */
  invalid: readonly Problem[];
  /**
   * When the current pod's time is up (its start plus spec.timeout, plus a grace period for the
   * kubelet's own activeDeadlineSeconds to act first). The controller enforces it too, so a
   * kubelet that does not still ends the job.
   */
  deadlineAt?: Date;
  now: Date;
}

export function currentAttempt(status: NotebookValidationJobStatus | undefined): number {
  return (status?.retryCount ?? 0) + 1;
}

export function retryDelayMs(retryCount: number): number {
  return RETRY_BASE_MS * 2 ** Math.max(0, retryCount - 1);
}

export function isTerminal(status: NotebookValidationJobStatus | undefined): boolean {
  return status?.phase === 'Succeeded' || status?.phase === 'Failed';
}

function withConditions(
  status: NotebookValidationJobStatus,
  generation: number | undefined,
  now: Date,
  unsupported: readonly Problem[],
): NotebookValidationJobStatus {
  const terminal = isTerminal(status);
  const succeeded = status.phase === 'Succeeded';
  const reason = status.conditions?.find((c) => c.type === CONDITION_COMPLETE)?.reason;
  let conditions = status.conditions;
  const progressingReason =
    conditions?.find((c) => c.type === CONDITION_PROGRESSING)?.reason ?? 'Pending';
  conditions = setCondition(
    conditions,
    {
      type: CONDITION_READY,
      status: succeeded ? 'True' : 'False',
      reason: succeeded
        ? 'ValidationSucceeded'
        : terminal
          ? (reason ?? 'ValidationFailed')
          : 'NotComplete',
      message: status.message ?? '',
    },
    generation,
    now,
  );
  if (!terminal) {
    conditions = setCondition(
      conditions,
      {
        type: CONDITION_COMPLETE,
        status: 'False',
        reason: 'Running',
        message: 'the validation has not finished',
      },
      generation,
      now,
    );
  }
  conditions = setCondition(
    conditions,
    {
      type: CONDITION_PROGRESSING,
      status: terminal ? 'False' : 'True',
      reason: terminal ? 'Finished' : progressingReason,
      message: terminal ? 'no further attempts' : (status.message ?? ''),
    },
    generation,
    now,
  );
  conditions =
    unsupported.length > 0
      ? setCondition(
          conditions,
          {
            type: CONDITION_UNSUPPORTED,
            status: 'True',
            reason: 'AcceptedNotImplemented',
            message: unsupported.map((p) => `${p.field}: ${p.reason}`).join('; '),
          },
          generation,
          now,
        )
      : removeCondition(conditions, CONDITION_UNSUPPORTED);
  return {
    ...status,
    conditions,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
}

function progressing(
  status: NotebookValidationJobStatus,
  reason: string,
  message: string,
  generation: number | undefined,
  now: Date,
) {
  return {
    ...status,
    message,
    conditions: setCondition(
      status.conditions,
      { type: CONDITION_PROGRESSING, status: 'True', reason, message },
      generation,
      now,
    ),
  };
}

function finish(
  status: NotebookValidationJobStatus,
  succeeded: boolean,
  reason: string,
  message: string,
  generation: number | undefined,
  now: Date,
): NotebookValidationJobStatus {
  return {
    ...status,
    phase: succeeded ? 'Succeeded' : 'Failed',
    message,
    completionTime: now.toISOString(),
    conditions: setCondition(
      status.conditions,
      { type: CONDITION_COMPLETE, status: 'True', reason, message },
      generation,
      now,
    ),
  };
}

/** What to write and do: `status` gets its conditions (Ready, Progressing, ...) here. */
function decision(
  observation: NvjObservation,
  status: NotebookValidationJobStatus,
  actions: NvjAction[] = [],
  events: DecidedEvent[] = [],
): NvjDecision {
  const { job, now, unsupported } = observation;
  return {
    status: withConditions(status, job.metadata.generation, now, unsupported),
    actions,
    events,
  };
}

export function decide(observation: NvjObservation): NvjDecision {
  const { job, pod, podName, now } = observation;
  const generation = job.metadata.generation;
  const previous: NotebookValidationJobStatus = job.status ?? {};
  const result = (
    status: NotebookValidationJobStatus,
    actions?: NvjAction[],
    events?: DecidedEvent[],
  ) => decision(observation, status, actions, events);

  // A finished job stays finished: its phase, results and times never change again.
  if (isTerminal(previous)) return result(previous);

  const attempt = currentAttempt(previous);
  let status: NotebookValidationJobStatus = {
    ...previous,
    phase: previous.phase ?? 'Initializing',
    startTime: previous.startTime ?? now.toISOString(),
    retryCount: previous.retryCount ?? 0,
  };

  if (!pod && observation.invalid.length > 0) {
    const why = observation.invalid.map((p) => `${p.field}: ${p.reason}`).join('; ');
    return result(
      finish(status, false, 'InvalidSpec', why, generation, now),
      [],
      [{ type: 'Warning', reason: 'InvalidSpec', message: why }],
    );
  }

  if (
    pod &&
    (pod.kind === 'starting' || pod.kind === 'executing') &&
    observation.deadlineAt &&
    observation.deadlineAt.getTime() <= now.getTime()
  ) {
    return retryOrFail(
      status,
      {
        reason: 'DeadlineExceeded',
        message: `the validation did not finish within spec.timeout (${job.spec.timeout})`,
        transient: false,
        stopPod: true,
      },
      podName,
      observation,
    );
  }
  // Look again when the deadline comes, whatever the pod does until then.
  const untilDeadline: NvjAction[] = observation.deadlineAt
    ? [{ type: 'requeue', afterMs: observation.deadlineAt.getTime() - now.getTime() }]
    : [];

  if (!pod) {
    // The pod of this attempt was created before and is gone: deleted by someone or the cluster.
    if (previous.validationPodName === podName) {
      return retryOrFail(
        status,
        {
          reason: 'PodDeleted',
          message: `pod ${podName} was deleted before the validation finished`,
          transient: true,
        },
        undefined,
        observation,
      );
    }
    const waitMs = previous.lastRetryTime
      ? Date.parse(previous.lastRetryTime) + retryDelayMs(previous.retryCount ?? 0) - now.getTime()
      : 0;
    if (waitMs > 0)
      return result(
        progressing(
          status,
          'BackoffBeforeRetry',
          `attempt ${attempt} starts in ${Math.ceil(waitMs / 1000)}s`,
          generation,
          now,
        ),
        [{ type: 'requeue', afterMs: waitMs }],
      );
    status = progressing(
      { ...status, validationPodName: podName },
      attempt === 1 ? 'PodCreated' : 'Retrying',
      `created pod ${podName} (attempt ${attempt} of ${MAX_ATTEMPTS})`,
      generation,
      now,
    );
    return result(
      status,
      [{ type: 'createPod', attempt }],
      attempt === 1
        ? []
        : [
            {
              type: 'Normal',
              reason: 'ValidationRetry',
              message: `attempt ${attempt}: pod ${podName}`,
            },
          ],
    );
  }

  switch (pod.kind) {
    case 'starting':
      return result(
        progressing(
          { ...status, validationPodName: podName },
          'Initializing',
          pod.message,
          generation,
          now,
        ),
        untilDeadline,
      );
    case 'executing':
      return result(
        progressing(
          { ...status, phase: 'ValidationRunning', validationPodName: podName },
          'Executing',
          pod.message,
          generation,
          now,
        ),
        untilDeadline,
      );
    case 'completed': {
      const { outcome } = pod;
      const passed = outcome.phase === 'Succeeded';
      const event = passed ? 'ValidationSucceeded' : 'ValidationFailed';
      // The condition keeps the report's finer reason; the Event keeps the one notifiers know.
      const reason = passed ? event : (outcome.reason ?? event);
      const done = finish(
        {
          ...status,
          ...(outcome.results ? { results: outcome.results } : {}),
          ...(outcome.comparisonResult ? { comparisonResult: outcome.comparisonResult } : {}),
        },
        passed,
        reason,
        outcome.message,
        generation,
        now,
      );
      return result(
        done,
        [],
        [{ type: passed ? 'Normal' : 'Warning', reason: event, message: outcome.message }],
      );
    }
    case 'failed':
      return retryOrFail(status, pod, podName, observation);
  }
}

function retryOrFail(
  status: NotebookValidationJobStatus,
  failure: { reason: string; message: string; transient: boolean; stopPod?: boolean },
  stuckPod: string | undefined,
  observation: NvjObservation,
): NvjDecision {
  const { job, now } = observation;
  const generation = job.metadata.generation;
  const attempt = currentAttempt(status);
  const deleteStuck: NvjAction[] =
    stuckPod && failure.stopPod ? [{ type: 'deletePod', name: stuckPod }] : [];
  if (failure.transient && attempt < MAX_ATTEMPTS) {
    const retryCount = attempt;
    const next: NotebookValidationJobStatus = progressing(
      { ...status, retryCount, lastRetryTime: now.toISOString() },
      'BackoffBeforeRetry',
      `attempt ${attempt} failed (${failure.reason}: ${failure.message}); retrying in ${retryDelayMs(retryCount) / 1000}s`,
      generation,
      now,
    );
    return decision(
      observation,
      next,
      [...deleteStuck, { type: 'requeue', afterMs: retryDelayMs(retryCount) }],
      [
        {
          type: 'Warning',
          reason: failure.reason,
          message: `attempt ${attempt}: ${failure.message}`,
        },
      ],
    );
  }
  const why = failure.transient
    ? `${failure.message} (gave up after ${attempt} attempts)`
    : failure.message;
  const done = finish(status, false, failure.reason, why, generation, now);
  return decision(observation, done, deleteStuck, [
    { type: 'Warning', reason: 'ValidationFailed', message: `${failure.reason}: ${why}` },
  ]);
}
