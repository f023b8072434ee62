import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import type {
  NotebookValidationJob,
  NotebookValidationJobStatus,
} from '../../api/notebookvalidationjob.ts';
import { MAX_ATTEMPTS, decide, retryDelayMs, type NvjObservation } from './decide.ts';
import { parseStepMessage, podState, type PodState, type ValidationOutcome } from './pod-state.ts';
import { containerStatus } from './testing.ts';

const now = new Date('2026-01-01T00:00:00Z');
const job = (status?: NotebookValidationJobStatus): NotebookValidationJob =>
  ({
    apiVersion: 'mlops.mlops.dev/v1alpha1',
    kind: 'NotebookValidationJob',
    metadata: { name: 'j', namespace: 'n', generation: 1 },
    spec: {} as NotebookValidationJob['spec'],
    ...(status ? { status } : {}),
  }) as NotebookValidationJob;
const observe = (
  status: NotebookValidationJobStatus | undefined,
  pod: PodState | undefined,
  over: Partial<NvjObservation> = {},
): NvjObservation => ({
  job: job(status),
  podName: `j-validation-${(status?.retryCount ?? 0) + 1}`,
  pod,
  unsupported: [],
  invalid: [],
  now,
  ...over,
});
const passed: ValidationOutcome = {
  phase: 'Succeeded',
  message: '3 of 3 cells succeeded',
  results: [{ cellIndex: 0, status: 'Success' }],
};
const condition = (status: NotebookValidationJobStatus, type: string) =>
  status.conditions?.find((c) => c.type === type);

describe('decide', () => {
  it('creates the first pod and starts Initializing', () => {
    const d = decide(observe(undefined, undefined));
    assert.deepEqual(d.actions, [{ type: 'createPod', attempt: 1 }]);
    assert.equal(d.status.phase, 'Initializing');
    assert.equal(d.status.validationPodName, 'j-validation-1');
    assert.equal(d.status.startTime, now.toISOString());
    assert.equal(d.status.observedGeneration, 1);
    assert.equal(condition(d.status, 'Ready')?.status, 'False');
    assert.equal(condition(d.status, 'Progressing')?.status, 'True');
  });

  it('moves to ValidationRunning while the notebook executes, and never back', () => {
    const running = decide(
      observe(
        { phase: 'Initializing', validationPodName: 'j-validation-1' },
        { kind: 'executing', message: 'x' },
      ),
    ).status;
    assert.equal(running.phase, 'ValidationRunning');
    const again = decide(observe(running, { kind: 'starting', message: 'y' })).status;
    assert.equal(again.phase, 'ValidationRunning');
  });

  it('succeeds with Ready=True, results and an event', () => {
    const d = decide(
      observe(
        { phase: 'ValidationRunning', validationPodName: 'j-validation-1' },
        { kind: 'completed', outcome: passed },
      ),
    );
    assert.equal(d.status.phase, 'Succeeded');
    assert.deepEqual(d.status.results, passed.results);
    assert.equal(condition(d.status, 'Ready')?.status, 'True');
    assert.equal(condition(d.status, 'ValidationComplete')?.status, 'True');
    assert.equal(condition(d.status, 'Progressing')?.status, 'False');
    assert.equal(d.events[0]?.reason, 'ValidationSucceeded');
    assert.equal(d.status.completionTime, now.toISOString());
  });

  it('does not retry a notebook that failed', () => {
    const d = decide(
      observe(
        { phase: 'ValidationRunning' },
        { kind: 'completed', outcome: { ...passed, phase: 'Failed', message: 'cell 2 failed' } },
      ),
    );
    assert.equal(d.status.phase, 'Failed');
    assert.equal(d.status.retryCount, 0);
    assert.equal(condition(d.status, 'ValidationComplete')?.reason, 'ValidationFailed');
    assert.equal(d.events[0]?.reason, 'ValidationFailed');
  });

  it("keeps the report's reason in the conditions, and ValidationFailed on the Event", () => {
    const d = decide(
      observe(
        { phase: 'ValidationRunning' },
        {
          kind: 'completed',
          outcome: { phase: 'Failed', message: 'golden mismatch', reason: 'GoldenMismatch' },
        },
      ),
    );
    assert.equal(condition(d.status, 'ValidationComplete')?.reason, 'GoldenMismatch');
    assert.equal(condition(d.status, 'Ready')?.reason, 'GoldenMismatch');
    assert.equal(d.events[0]?.reason, 'ValidationFailed');
  });

  it('ends a pod past its deadline as DeadlineExceeded, deletes it, and does not retry', () => {
    const status = { phase: 'ValidationRunning' as const, validationPodName: 'j-validation-1' };
    const executing: PodState = { kind: 'executing', message: 'x' };
    const before = decide(
      observe(status, executing, { deadlineAt: new Date(now.getTime() + 5000) }),
    );
    assert.equal(before.status.phase, 'ValidationRunning');
    assert.deepEqual(
      before.actions,
      [{ type: 'requeue', afterMs: 5000 }],
      'looks again at the deadline',
    );
    const after = decide(observe(status, executing, { deadlineAt: now }));
    assert.equal(after.status.phase, 'Failed');
    assert.equal(condition(after.status, 'ValidationComplete')?.reason, 'DeadlineExceeded');
    assert.deepEqual(after.actions, [{ type: 'deletePod', name: 'j-validation-1' }]);
    assert.equal(after.status.retryCount, 0);
  });

  it('fails a job that admission would have rejected, without creating a pod', () => {
    const d = decide(
      observe(undefined, undefined, {
        invalid: [{ severity: 'error', field: 'spec.timeout', reason: 'not a duration' }],
      }),
    );
    assert.equal(d.status.phase, 'Failed');
    assert.deepEqual(d.actions, []);
    assert.equal(condition(d.status, 'ValidationComplete')?.reason, 'InvalidSpec');
    assert.match(d.status.message ?? '', /spec\.timeout: not a duration/);
  });

  it('retries transient failures with growing backoff, then gives up', () => {
    let status: NotebookValidationJobStatus = {
      phase: 'Initializing',
      validationPodName: 'j-validation-1',
    };
    const failure: PodState = {
      kind: 'failed',
      reason: 'ImagePullFailed',
      message: 'pull',
      transient: true,
      stopPod: true,
    };
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
      const d = decide(observe(status, failure));
      assert.equal(d.status.phase, 'Initializing');
      assert.equal(d.status.retryCount, attempt);
      assert.deepEqual(d.actions, [
        { type: 'deletePod', name: `j-validation-${attempt}` },
        { type: 'requeue', afterMs: retryDelayMs(attempt) },
      ]);
      const waiting = decide(observe(d.status, undefined));
      assert.equal(waiting.actions[0]?.type, 'requeue', 'waits for the backoff');
      const later = decide(
        observe(d.status, undefined, { now: new Date(now.getTime() + retryDelayMs(attempt)) }),
      );
      assert.deepEqual(later.actions, [{ type: 'createPod', attempt: attempt + 1 }]);
      status = later.status;
    }
    const last = decide(observe(status, failure));
    assert.equal(last.status.phase, 'Failed');
    assert.match(last.status.message ?? '', /gave up after 3 attempts/);
  });

  it('fails at once for a deadline, a git ref or an unreadable report', () => {
    for (const reason of ['DeadlineExceeded', 'GitRefNotFound', 'ReportUnreadable']) {
      const d = decide(
        observe(
          { phase: 'ValidationRunning' },
          { kind: 'failed', reason, message: 'm', transient: false },
        ),
      );
      assert.equal(d.status.phase, 'Failed', reason);
      assert.equal(condition(d.status, 'ValidationComplete')?.reason, reason);
      assert.equal(d.status.retryCount, 0);
    }
  });

  it('treats a pod deleted mid-run as transient', () => {
    const d = decide(
      observe({ phase: 'ValidationRunning', validationPodName: 'j-validation-1' }, undefined),
    );
    assert.equal(d.status.retryCount, 1);
    assert.equal(d.events[0]?.reason, 'PodDeleted');
  });

  it('never changes a finished job', () => {
    const finished = decide(
      observe({ phase: 'ValidationRunning' }, { kind: 'completed', outcome: passed }),
    ).status;
    const again = decide(
      observe(
        finished,
        { kind: 'failed', reason: 'PodEvicted', message: '', transient: true },
        { now: new Date(now.getTime() + 60_000) },
      ),
    );
    assert.equal(again.status.phase, 'Succeeded');
    assert.deepEqual(again.actions, []);
    assert.equal(again.status.completionTime, finished.completionTime);
  });

  it('reports accepted-but-unimplemented fields in a condition', () => {
    const d = decide(
      observe(undefined, undefined, {
        unsupported: [
          { field: 'spec.modelValidation', reason: 'not implemented', severity: 'warning' },
        ],
      }),
    );
    assert.match(
      condition(d.status, 'UnsupportedFields')?.message ?? '',
      /spec.modelValidation: not implemented/,
    );
  });
});

const pod = (status: V1Pod['status']): V1Pod => ({
  metadata: { name: 'p' },
  spec: { containers: [], nodeName: 'kwok-node' },
  status,
});

describe('podState', () => {
  it('reads a git failure reason from the clone step', () => {
    const state = podState(
      pod({
        phase: 'Failed',
        initContainerStatuses: [
          containerStatus('git-clone', 'git', {
            terminated: {
              exitCode: 1,
              message: 'GitAuthFailed: authentication to https://x failed',
            },
          }),
        ],
      }),
      undefined,
    );
    assert.deepEqual(state, {
      kind: 'failed',
      reason: 'GitAuthFailed',
      message: 'git-clone: authentication to https://x failed',
      transient: false,
    });
  });

  it('sees an image pull failure as transient', () => {
    const state = podState(
      pod({
        phase: 'Pending',
        initContainerStatuses: [
          containerStatus('execute', 'bad:1', { waiting: { reason: 'ImagePullBackOff' } }),
        ],
      }),
      undefined,
    );
    assert.equal(state.kind === 'failed' && state.transient, true);
  });

  it('sees an image that can never be pulled as final, and stops its pod', () => {
    const state = podState(
      pod({
        phase: 'Pending',
        initContainerStatuses: [
          containerStatus('execute', 'bad:1', { waiting: { reason: 'ErrImageNeverPull' } }),
        ],
      }),
      undefined,
    );
    assert.deepEqual(state, {
      kind: 'failed',
      reason: 'InvalidImage',
      message: 'execute: ErrImageNeverPull (image bad:1)',
      transient: false,
      stopPod: true,
    });
  });

  it('sees the deadline', () => {
    assert.equal(
      podState(pod({ phase: 'Failed', reason: 'DeadlineExceeded' }), undefined).kind,
      'failed',
    );
  });

  it('never turns a missing or broken report into success', () => {
    const done = pod({
      phase: 'Succeeded',
      containerStatuses: [containerStatus('report', 'nbv', { terminated: { exitCode: 0 } })],
    });
    assert.equal(podState(done, undefined).kind, 'failed');
    assert.deepEqual(podState(done, { ok: false, error: 'not JSON' }), {
      kind: 'failed',
      reason: 'ReportUnreadable',
      message: 'not JSON',
      transient: false,
    });
    assert.equal(podState(done, { ok: true, outcome: passed }).kind, 'completed');
  });

  it('parses Reason: message', () => {
    assert.deepEqual(parseStepMessage('GitRefNotFound: ref x is not a branch\n'), {
      reason: 'GitRefNotFound',
      message: 'ref x is not a branch',
    });
    assert.equal(parseStepMessage('garbage'), undefined);
  });
});
