import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import type { NotebookValidationJob } from '../../api/notebookvalidationjob.ts';
import { DEFAULT_IMAGES } from '../../builders/images.ts';
import { buildValidationPod } from '../../builders/validation-pod.ts';
import { admit } from '../../validation/admission.ts';
import { podDeadline, slimValidationPod } from './controller.ts';
import { podState } from './pod-state.ts';
import { readReport } from './report-reading.ts';
import { containerStatus } from './testing.ts';

const job = admit({
  apiVersion: 'mlops.mlops.dev/v1alpha1',
  kind: 'NotebookValidationJob',
  metadata: { name: 'j', namespace: 'n', uid: 'u-1' },
  spec: {
    notebook: { git: { url: 'https://git.example.com/a.git', ref: 'main' }, path: 'nb.ipynb' },
    podConfig: { containerImage: 'quay.io/jupyter/minimal-notebook:2025' },
    timeout: '10m',
  },
}).object as NotebookValidationJob;

const summary = JSON.stringify({
  nbvReport: 1,
  phase: 'Failed',
  message: 'cell 1 failed',
  reason: 'CellFailed',
  cells: { total: 1, succeeded: 0, failed: 1, skipped: 0 },
  failedCells: [1],
  complete: true,
  status: {
    phase: 'Failed',
    message: 'cell 1 failed',
    results: [{ cellIndex: 1, status: 'Failure' }],
  },
});

function withStatus(status: V1Pod['status']): V1Pod {
  const pod = buildValidationPod(job, { images: DEFAULT_IMAGES, attempt: 1 });
  return {
    ...pod,
    metadata: { ...pod.metadata, uid: 'p-1', resourceVersion: '7', creationTimestamp: new Date() },
    spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName: 'node-0' },
    status,
  };
}

const terminated = {
  terminated: { exitCode: 0, message: summary, startedAt: new Date(), finishedAt: new Date() },
};
const states: Record<string, V1Pod['status']> = {
  pending: { phase: 'Pending' },
  cloning: {
    phase: 'Pending',
    startTime: new Date('2026-01-01T00:00:00Z'),
    initContainerStatuses: [containerStatus('git-clone', 'git', { running: {} })],
  },
  pullBackOff: {
    phase: 'Pending',
    initContainerStatuses: [
      containerStatus('git-clone', 'git', {
        waiting: { reason: 'ImagePullBackOff', message: 'back-off' },
      }),
    ],
  },
  reported: {
    phase: 'Succeeded',
    initContainerStatuses: [
      containerStatus('git-clone', 'git', terminated),
      containerStatus('execute', 'jupyter', terminated),
    ],
    containerStatuses: [containerStatus('report', 'nbv', terminated)],
  },
  deadline: { phase: 'Failed', reason: 'DeadlineExceeded', message: 'too long' },
};

describe('slimValidationPod', () => {
  for (const [name, status] of Object.entries(states)) {
    it(`keeps everything the decisions read: ${name}`, async () => {
      const full = withStatus(status);
      const slim = slimValidationPod(full) as V1Pod;
      const log = async () => '';
      const [fullReport, slimReport] = [await readReport(full, log), await readReport(slim, log)];
      assert.deepEqual(slimReport, fullReport);
      assert.deepEqual(podState(slim, slimReport), podState(full, fullReport));
      assert.deepEqual(podDeadline(slim), podDeadline(full));
      assert.deepEqual(slim.metadata?.ownerReferences, full.metadata?.ownerReferences);
      assert.deepEqual(slim.metadata?.labels, full.metadata?.labels);
    });
  }

  it('drops the steps’ scripts, env and volumes: most of the bytes', () => {
    const full = withStatus(states.reported);
    const slim = slimValidationPod(full);
    const fullBytes = JSON.stringify(full).length;
    const slimBytes = JSON.stringify(slim).length;
    assert.ok(slimBytes < fullBytes / 2, `${slimBytes} of ${fullBytes} bytes`);
    assert.equal(JSON.stringify(slim).includes('papermill'), false);
  });
});
