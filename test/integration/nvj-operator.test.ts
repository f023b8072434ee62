// The NotebookValidationJob operator end to end on the real control plane: `nbv operator` as a
// process under its generated role, its webhook called by the apiserver, validation pods
// finished through kwok with the termination messages that the real report step wrote for real
// executed notebooks (`nbv run --termination-message`).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import type {
  NotebookValidationJob,
  NotebookValidationJobStatus,
} from '../../src/api/notebookvalidationjob.ts';
import type { GitServer } from '../../src/local/git-http-server.ts';
import { nbv, sampleManifest, samplesServer } from '../notebook/helpers.ts';
import type { KubectlError } from './cluster.ts';
import { notebookValidationJobs } from '../../src/controllers/notebookvalidationjob/controller.ts';
import { KubeClient } from '../../src/runtime/index.ts';
import {
  completePod,
  freshNamespace,
  kubeConfig,
  kubeconfigPath,
  kubectl,
  listPods,
  podNames,
  waitFor,
} from './cluster.ts';
import { REPO, parseStream } from './install-streams.ts';
import { WEBHOOK_LABEL, applyCrds, startOperator, type OperatorProcess } from './operator.ts';

const admin = new KubeClient(kubeConfig());
let namespace: string;
let operator: OperatorProcess;
let server: GitServer;
/** Termination messages of the report step, by sample. */
const reports: Record<string, { message: string; status: NotebookValidationJobStatus }> = {};

async function realReport(sample: string, dir: string): Promise<void> {
  const file = await sampleManifest(sample, server, dir);
  const termination = join(dir, `${sample}.termination-log`);
  const run = await nbv(['run', file, '--output', 'json', '--termination-message', termination]);
  assert.ok(run.status, `nbv run ${sample}: ${run.stderr}`);
  reports[sample] = { message: await readFile(termination, 'utf8'), status: run.status };
}

function job(name: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'mlops.mlops.dev/v1alpha1',
    kind: 'NotebookValidationJob',
    metadata: { name, namespace, labels: { [WEBHOOK_LABEL]: 'true' } },
    spec: {
      notebook: {
        git: { url: 'https://git.example.com/team/notebooks.git', ref: 'main' },
        path: 'nb.ipynb',
      },
      podConfig: { containerImage: 'quay.io/jupyter/minimal-notebook:2025-01-01' },
      ...spec,
    },
  };
}

async function create(obj: unknown): Promise<string> {
  return kubectl(['create', '-f', '-', '-o', 'name'], JSON.stringify(obj));
}

async function getJob(name: string): Promise<NotebookValidationJob> {
  const found = await admin.get<NotebookValidationJob>(notebookValidationJobs, name, namespace);
  assert.ok(found, `notebookvalidationjob ${namespace}/${name}`);
  return found;
}

async function waitForPhase(
  name: string,
  phases: string[],
  timeoutMs = 60_000,
): Promise<NotebookValidationJob> {
  return waitFor(
    async () => {
      const j = await getJob(name);
      return phases.includes(j.status?.phase ?? '') ? j : undefined;
    },
    timeoutMs,
    `${name} in ${phases.join('|')}; operator log:\n${operator.describe()}`,
  );
}

function jobPods(jobName: string): Promise<string[]> {
  return podNames(namespace, `mlops.dev/notebookvalidationjob=${jobName}`);
}

async function waitForPod(podName: string, timeoutMs = 30_000): Promise<void> {
  const jobName = podName.replace(/-validation-\d+$/, '');
  await waitFor(
    async () => (await jobPods(jobName)).includes(podName),
    timeoutMs,
    `pod ${podName}; operator log:\n${operator.describe()}`,
  );
}

/** The job once it has scheduled a retry. */
function waitForRetry(name: string): Promise<NotebookValidationJob> {
  return waitFor(
    async () => {
      const j = await getJob(name);
      return (j.status?.retryCount ?? 0) >= 1 ? j : undefined;
    },
    30_000,
    `retry of ${name}; log:\n${operator.describe()}`,
  );
}

/** The events.k8s.io Events about job `name` with `reason`, once there is one. */
function eventsAbout(name: string, reason: string): Promise<{ type: string; note: string }[]> {
  return waitFor(
    async () => {
      const out = await kubectl([
        'get',
        'events.events.k8s.io',
        '-n',
        namespace,
        '--field-selector',
        `regarding.name=${name},reason=${reason}`,
        '-o',
        'json',
      ]);
      const items = (JSON.parse(out) as { items: { type: string; note: string }[] }).items;
      return items.length > 0 ? items : undefined;
    },
    10_000,
    `${reason} event about ${name}`,
  );
}

function finish(podName: string, message: string): Promise<void> {
  return completePod(namespace, podName, {
    'git-clone': { exitCode: 0 },
    execute: { exitCode: 0 },
    report: { exitCode: 0, message },
  });
}

const condition = (j: NotebookValidationJob, type: string) =>
  j.status?.conditions?.find((c) => c.type === type);

before(async () => {
  server = await samplesServer();
  const dir = await mkdtemp(join(tmpdir(), 'nbv-nvj-operator-'));
  // Real notebooks through the real report step; their termination messages finish the pods.
  await Promise.all(['hello-world', 'failing', 'golden-mismatch'].map((s) => realReport(s, dir)));
  await applyCrds();
  namespace = await freshNamespace('nvj');
  await kubectl(['label', 'namespace', namespace, `${WEBHOOK_LABEL}=true`]);
  operator = await startOperator({ args: ['--workers', '4', '--namespace', namespace] });
});

after(async () => {
  await operator?.stop();
  server?.close();
  admin.close();
});

describe('admission webhook (called by the apiserver)', () => {
  it('rejects an invalid job with the field path and reason', async () => {
    // Well-formed for the CRD's schema, out of bounds for admission: only the webhook says no.
    const bad = job('bad-timeout', { timeout: '200h' });
    await assert.rejects(create(bad), (err: KubectlError) => {
      assert.match(err.stderr, /denied the request/);
      assert.match(err.stderr, /spec\.timeout: must be at most 168h/);
      return true;
    });
    const badVolume = job('bad-volume', {
      podConfig: {
        containerImage: 'quay.io/jupyter/minimal-notebook:2025-01-01',
        volumes: [{ name: 'data', hostPath: { path: '/etc' } }],
      },
    });
    await assert.rejects(create(badVolume), /spec\.podConfig\.volumes\[0\]/);
  });

  it('defaults a valid job', async () => {
    await create(job('defaulted'));
    const created = await getJob('defaulted');
    assert.equal(created.spec.timeout, '30m');
    assert.equal(created.spec.notebook.git.ref, 'main');
  });

  it('keeps the spec of a created job immutable', async () => {
    await assert.rejects(
      kubectl([
        'patch',
        '-n',
        namespace,
        'notebookvalidationjob',
        'defaulted',
        '--type=merge',
        '-p',
        '{"spec":{"timeout":"1h"}}',
      ]),
      /spec/,
    );
  });
});

function nbvProcess(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO, 'bin', 'nbv.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('nbv submit and nbv status', () => {
  it('submit --wait follows the job to its end and prints per-cell results', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nbv-submit-'));
    const file = join(dir, 'job.yaml');
    await writeFile(file, stringify(job('submitted')));
    const submitting = nbvProcess([
      'submit',
      file,
      '--wait',
      '--timeout',
      '90s',
      '--kubeconfig',
      kubeconfigPath(),
    ]);
    await waitForPod('submitted-validation-1');
    await finish('submitted-validation-1', reports['hello-world']?.message ?? '');
    const submitted = await submitting;
    assert.equal(submitted.code, 0, submitted.stderr);
    assert.match(submitted.stderr, /notebookvalidationjob .*\/submitted created/);
    assert.match(submitted.stdout, /^Succeeded: /);
    for (const r of reports['hello-world']?.status.results ?? [])
      assert.match(submitted.stdout, new RegExp(`cell ${r.cellIndex}: Success`));

    const status = await nbvProcess([
      'status',
      'submitted',
      '-n',
      namespace,
      '--kubeconfig',
      kubeconfigPath(),
    ]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /condition Ready=True ValidationSucceeded/);

    // A job is one run: submitting the same name again is refused, exit 1.
    const again = await nbvProcess(['submit', file, '--kubeconfig', kubeconfigPath()]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists already/);
  });

  it('submit --wait exits 1 for a failing notebook; status of a missing job exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nbv-submit-'));
    const file = join(dir, 'job.yaml');
    await writeFile(file, stringify(job('submitted-fails')));
    const submitting = nbvProcess(['submit', file, '--wait', '--kubeconfig', kubeconfigPath()]);
    await waitForPod('submitted-fails-validation-1');
    await finish('submitted-fails-validation-1', reports.failing?.message ?? '');
    const submitted = await submitting;
    assert.equal(submitted.code, 1, submitted.stderr);
    assert.match(submitted.stdout, /^Failed: cell 3 failed/);
    const missing = await nbvProcess([
      'status',
      'nope',
      '-n',
      namespace,
      '--kubeconfig',
      kubeconfigPath(),
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /not found/);
  });
});

describe('validation runs', () => {
  it('a notebook that passes: Succeeded, Ready, per-cell results from the report', async () => {
    await create(job('passes'));
    await waitForPod('passes-validation-1');
    const running = await getJob('passes');
    assert.equal(running.status?.validationPodName, 'passes-validation-1');
    assert.ok(['Initializing', 'ValidationRunning'].includes(running.status?.phase ?? ''));
    await finish('passes-validation-1', reports['hello-world']?.message ?? '');
    const done = await waitForPhase('passes', ['Succeeded', 'Failed']);
    assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status));
    assert.deepEqual(done.status?.results, reports['hello-world']?.status.results);
    assert.equal(condition(done, 'Ready')?.status, 'True');
    assert.equal(condition(done, 'Ready')?.observedGeneration, done.metadata.generation);
    assert.equal(condition(done, 'ValidationComplete')?.status, 'True');
    assert.ok(done.status?.startTime && done.status.completionTime);
    const events = await waitFor(async () => {
      const out = await kubectl([
        'get',
        'events.events.k8s.io',
        '-n',
        namespace,
        '-l',
        'mlops.dev/notification-type=ValidationSucceeded',
        '-o',
        'json',
      ]);
      const items = (JSON.parse(out) as { items: { regarding: { name: string } }[] }).items;
      return items.filter((e) => e.regarding.name === 'passes').length > 0 ? items : undefined;
    });
    assert.ok(events.length >= 1);
  });

  it('a failing cell: Failed with the cell, and no retry', async () => {
    await create(job('fails'));
    await waitForPod('fails-validation-1');
    await finish('fails-validation-1', reports.failing?.message ?? '');
    const done = await waitForPhase('fails', ['Succeeded', 'Failed']);
    assert.equal(done.status?.phase, 'Failed');
    assert.deepEqual(done.status?.results, reports.failing?.status.results);
    assert.equal(done.status?.results?.find((r) => r.status === 'Failure')?.cellIndex, 3);
    assert.equal(
      condition(done, 'ValidationComplete')?.reason,
      'CellFailed',
      'the report’s reason',
    );
    assert.equal(condition(done, 'Ready')?.status, 'False');
    assert.equal(done.status?.retryCount ?? 0, 0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual(await jobPods('fails'), ['fails-validation-1'], 'no second attempt');
  });

  it('a golden mismatch: Failed with the comparison result', async () => {
    await create(job('mismatch'));
    await waitForPod('mismatch-validation-1');
    await finish('mismatch-validation-1', reports['golden-mismatch']?.message ?? '');
    const done = await waitForPhase('mismatch', ['Succeeded', 'Failed']);
    assert.equal(done.status?.phase, 'Failed');
    assert.deepEqual(
      done.status?.comparisonResult,
      reports['golden-mismatch']?.status.comparisonResult,
    );
    assert.equal(done.status?.comparisonResult?.result, 'failed');
    const reason = (JSON.parse(reports['golden-mismatch']?.message ?? '{}') as { reason?: string })
      .reason;
    assert.ok(reason);
    assert.equal(condition(done, 'ValidationComplete')?.reason, reason);
  });

  it('a termination message that is not a report is a failure, never a success', async () => {
    await create(job('garbled'));
    await waitForPod('garbled-validation-1');
    const truncated = (reports['hello-world']?.message ?? '').slice(0, 40);
    await finish('garbled-validation-1', truncated);
    const done = await waitForPhase('garbled', ['Succeeded', 'Failed']);
    assert.equal(done.status?.phase, 'Failed');
    assert.equal(condition(done, 'ValidationComplete')?.reason, 'ReportUnreadable');
    assert.match(done.status?.message ?? '', /not JSON/);
  });

  it('a job past its timeout: Failed, DeadlineExceeded, not retried', async () => {
    await create(job('slow', { timeout: '3s' }));
    const done = await waitForPhase('slow', ['Succeeded', 'Failed'], 40_000);
    assert.equal(done.status?.phase, 'Failed');
    assert.equal(condition(done, 'ValidationComplete')?.reason, 'DeadlineExceeded');
    assert.equal(done.status?.retryCount ?? 0, 0);
  });

  it('an image that cannot be pulled: the attempt is retried with a new pod', async () => {
    await create(job('pull'));
    await waitForPod('pull-validation-1');
    // What the kubelet reports when a pull fails; kwok pulls nothing, so the test says it.
    await kubectl([
      'patch',
      '-n',
      namespace,
      'pod',
      'pull-validation-1',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({
        status: {
          initContainerStatuses: [
            {
              name: 'git-clone',
              image: 'docker.io/alpine/git:v2.47.2',
              imageID: '',
              ready: false,
              restartCount: 0,
              state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } },
            },
          ],
        },
      }),
    ]);
    const retrying = await waitForRetry('pull');
    assert.equal(condition(retrying, 'Progressing')?.reason, 'BackoffBeforeRetry');
    // The second attempt's pod comes after the backoff (10 s).
    await waitForPod('pull-validation-2', 40_000);
    await finish('pull-validation-2', reports['hello-world']?.message ?? '');
    const done = await waitForPhase('pull', ['Succeeded', 'Failed']);
    assert.equal(done.status?.phase, 'Succeeded');
    assert.equal(done.status?.retryCount, 1);
    assert.ok(done.status?.lastRetryTime);
    assert.ok(!(await jobPods('pull')).includes('pull-validation-1'), 'the stuck pod was deleted');
  });

  it('a pod deleted mid-run: the attempt is retried, the job does not end', async () => {
    await create(job('deleted'));
    await waitForPod('deleted-validation-1');
    await kubectl(['delete', 'pod', '-n', namespace, 'deleted-validation-1', '--wait=false']);
    const retrying = await waitForRetry('deleted');
    assert.notEqual(retrying.status?.phase, 'Failed');
    const events = await eventsAbout('deleted', 'PodDeleted');
    assert.equal(events[0]?.type, 'Warning');
    assert.match(events[0]?.note ?? '', /deleted-validation-1 was deleted/);
    await waitForPod('deleted-validation-2');
    await finish('deleted-validation-2', reports['hello-world']?.message ?? '');
    const done = await waitForPhase('deleted', ['Succeeded', 'Failed']);
    assert.equal(done.status?.phase, 'Succeeded');
  });

  it('a pod evicted through the Eviction API: the apiserver deletes it, the attempt is retried', async () => {
    await create(job('evicted'));
    await waitForPod('evicted-validation-1');
    // What `kubectl drain` does: POST pods/NAME/eviction (policy/v1). No status reason
    // 'Evicted' here: that is the kubelet's node-pressure eviction; the API deletes the pod.
    const eviction = {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'evicted-validation-1', namespace },
    };
    await kubectl(
      [
        'create',
        '--raw',
        `/api/v1/namespaces/${namespace}/pods/evicted-validation-1/eviction`,
        '-f',
        '-',
      ],
      JSON.stringify(eviction),
    );
    await waitFor(
      async () => !(await jobPods('evicted')).includes('evicted-validation-1'),
      30_000,
      'the evicted pod gone',
    );
    const retrying = await waitForRetry('evicted');
    assert.notEqual(retrying.status?.phase, 'Failed');
    assert.equal(condition(retrying, 'Progressing')?.reason, 'BackoffBeforeRetry');
    // To the operator an evicted pod is a deleted one.
    const events = await eventsAbout('evicted', 'PodDeleted');
    assert.equal(events[0]?.type, 'Warning');
    assert.match(events[0]?.note ?? '', /evicted-validation-1 was deleted/);
    await waitForPod('evicted-validation-2', 40_000);
    await finish('evicted-validation-2', reports['hello-world']?.message ?? '');
    const done = await waitForPhase('evicted', ['Succeeded', 'Failed']);
    assert.equal(done.status?.phase, 'Succeeded');
    assert.equal(done.status?.retryCount, 1);
    assert.equal(done.status?.validationPodName, 'evicted-validation-2');
  });

  it('the volumes sample: the pod has the converted volumes and is admitted under restricted', async () => {
    const sample = join(
      REPO,
      '..',
      'shared',
      'reference',
      'nvj-operator',
      'samples',
      'mlops_v1alpha1_notebookvalidationjob_volumes.yaml',
    );
    const nvj = parseStream(await readFile(sample, 'utf8')).find(
      (d) => d.kind === 'NotebookValidationJob',
    );
    assert.ok(nvj);
    nvj.metadata = { ...nvj.metadata, namespace, labels: { [WEBHOOK_LABEL]: 'true' } };
    await create(nvj);
    const name = String(nvj.metadata.name);
    await waitForPod(`${name}-validation-1`);
    const [pod] = await listPods(namespace, `mlops.dev/notebookvalidationjob=${name}`);
    const volumes = pod?.spec?.volumes ?? [];
    const volumeNames = volumes.map((v) => v.name);
    for (const expected of ['model-output', 'training-data', 'scratch'])
      assert.ok(volumeNames.includes(expected), `${expected} in ${volumeNames.join(', ')}`);
    assert.equal(
      volumes.find((v) => v.name === 'model-output')?.persistentVolumeClaim?.claimName,
      'trained-models-pvc',
    );
  });
});
