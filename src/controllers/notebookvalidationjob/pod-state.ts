// What a validation pod says about its attempt: still going, passed, or failed with a reason
// and whether trying again could help. Pure: reads the Pod's status and the report reading.
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { ValidationReport } from '../../notebook/report.ts';
import { GIT_FAILURE_REASONS, type GitFailureReason } from '../../builders/git-clone.ts';
import {
  STEP_EXECUTE,
  STEP_GIT_CLONE,
  STEP_GOLDEN_GIT_CLONE,
  STEP_REPORT,
} from '../../builders/pod-layout.ts';

/** The status fields the report step writes (src/notebook/report.ts), as the controller uses them. */
export type ValidationOutcome = Pick<
  ValidationReport['status'],
  'phase' | 'message' | 'results' | 'comparisonResult'
> &
  /** Why it failed, as the report step classified it (CellFailed, GoldenMismatch, ...). */
  Pick<ValidationReport, 'reason'>;

/** The report step's output as read from its termination message (and log when needed). */
export type ReportReading = { ok: true; outcome: ValidationOutcome } | { ok: false; error: string };

export type PodState =
  | { kind: 'starting'; message: string }
  | { kind: 'executing'; message: string }
  | { kind: 'completed'; outcome: ValidationOutcome }
  | {
      kind: 'failed';
      reason: string;
      message: string;
      transient: boolean;
      /** The pod still holds its node's resources (stuck, or past its deadline): delete it. */
      stopPod?: boolean;
    };

/** The kubelet's waiting reasons for images it cannot pull: ours, and whether a retry may help. */
const IMAGE_PULL_FAILURES = new Map([
  ['ErrImagePull', { reason: 'ImagePullFailed', transient: true }],
  ['ImagePullBackOff', { reason: 'ImagePullFailed', transient: true }],
  ['InvalidImageName', { reason: 'InvalidImage', transient: false }],
  ['ErrImageNeverPull', { reason: 'InvalidImage', transient: false }],
]);

function statuses(pod: V1Pod): V1ContainerStatus[] {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
}

function imagePullProblem(pod: V1Pod): PodState | undefined {
  for (const s of statuses(pod)) {
    const waiting = s.state?.waiting;
    const failure = IMAGE_PULL_FAILURES.get(waiting?.reason ?? '');
    if (!waiting || !failure) continue;
    return {
      kind: 'failed',
      ...failure,
      message: `${s.name}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''} (image ${s.image})`,
      // The pod holds its node's resources while the kubelet keeps trying.
      stopPod: true,
    };
  }
  return undefined;
}

/** `Reason: message` as the clone script writes it to its termination log. */
export function parseStepMessage(
  text: string | undefined,
): { reason: string; message: string } | undefined {
  const match = /^([A-Z][A-Za-z]+): (.*)$/s.exec((text ?? '').trim());
  return match ? { reason: match[1] as string, message: (match[2] as string).trim() } : undefined;
}

function failedInit(pod: V1Pod): PodState | undefined {
  for (const s of pod.status?.initContainerStatuses ?? []) {
    const terminated = s.state?.terminated;
    if (!terminated || terminated.exitCode === 0) continue;
    if (s.name === STEP_GIT_CLONE || s.name === STEP_GOLDEN_GIT_CLONE) {
      const parsed = parseStepMessage(terminated.message);
      const known =
        parsed && Object.hasOwn(GIT_FAILURE_REASONS, parsed.reason)
          ? (parsed.reason as GitFailureReason)
          : undefined;
      return {
        kind: 'failed',
        reason: known ?? 'GitCloneFailed',
        message: `${s.name}: ${parsed?.message ?? terminated.message ?? `exit code ${terminated.exitCode}`}`,
        transient: known ? GIT_FAILURE_REASONS[known].transient : true,
      };
    }
    const oom = terminated.reason === 'OOMKilled';
    return {
      kind: 'failed',
      reason: oom ? 'OutOfMemory' : 'StepFailed',
      message: `${s.name} ${oom ? 'ran out of memory (raise podConfig.resources.limits.memory)' : `exited with code ${terminated.exitCode}`}${terminated.message ? `: ${terminated.message}` : ''}`,
      transient: false,
    };
  }
  return undefined;
}

/** The state of one attempt's pod. `report` is read only when the report step has terminated. */
export function podState(pod: V1Pod, report: ReportReading | undefined): PodState {
  const phase = pod.status?.phase;
  const reason = pod.status?.reason;
  if (reason === 'DeadlineExceeded') {
    return {
      kind: 'failed',
      reason: 'DeadlineExceeded',
      message: 'the validation did not finish within spec.timeout',
      transient: false,
    };
  }
  if (reason === 'Evicted' || reason === 'Preempting' || reason === 'NodeLost') {
    return {
      kind: 'failed',
      reason: 'PodEvicted',
      message:
        `the pod was stopped by the cluster (${reason}): ${pod.status?.message ?? ''}`.trim(),
      transient: true,
    };
  }
  const pull = imagePullProblem(pod);
  if (pull) return pull;
  const init = failedInit(pod);
  if (init) return init;

  const reportStatus = pod.status?.containerStatuses?.find((s) => s.name === STEP_REPORT);
  if (reportStatus?.state?.terminated) {
    if (!report)
      return {
        kind: 'failed',
        reason: 'ReportUnreadable',
        message: 'the report step ended without a report',
        transient: false,
      };
    if (!report.ok)
      return {
        kind: 'failed',
        reason: 'ReportUnreadable',
        message: report.error,
        transient: false,
      };
    return { kind: 'completed', outcome: report.outcome };
  }
  if (phase === 'Failed' || phase === 'Succeeded') {
    // Terminal without a report container result: nothing says why, so it may be the cluster's doing.
    return {
      kind: 'failed',
      reason: 'PodFailed',
      message: pod.status?.message ?? `the pod ended (${phase}) before the report step ran`,
      transient: true,
    };
  }
  const execute = pod.status?.initContainerStatuses?.find((s) => s.name === STEP_EXECUTE);
  if (execute?.state?.running || execute?.state?.terminated || reportStatus?.state?.running) {
    return { kind: 'executing', message: 'the notebook is running' };
  }
  const waiting = statuses(pod).find(
    (s) => s.state?.waiting?.reason && s.state.waiting.reason !== 'PodInitializing',
  );
  return {
    kind: 'starting',
    message: waiting
      ? `${waiting.name}: ${waiting.state?.waiting?.reason}`
      : pod.spec?.nodeName
        ? 'cloning the notebook'
        : 'waiting for a node',
  };
}
