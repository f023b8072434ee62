// docs/walkthrough.md, run as a reader would run it: every ```sh block, in order, in bash, against
// the control plane that global-setup.ts started. Blocks run in a scratch folder that links to
// this checkout (package.json, bin, src, scripts, config, node_modules, python), so that
// `npm run sample` and `npx nbv` work as in the repository while `.nbv/`, `operator.log` and
// `inspect.json` land in the scratch folder. PATH has the control plane's kubectl first, then
// node_modules/.bin (Node 24); KUBECONFIG is the admin kubeconfig.
//
// What the test changes, all in walkthrough-blocks.ts (and explained there):
//   - ```sh dev-cluster blocks (`nbv dev cluster up|down`) are not run: the test run already has
//     its control plane, and a second one must not start; their test checks that one is ready;
//   - `nbv operator` runs under the generated role (`--kubeconfig` of operatorKubeconfig());
//   - the operator's ports 8080/8081 become free ports;
//   - ```sh cleanup blocks run after the assertions.
// A block's background processes (the operator, started with `&`) stay in the block's process
// group, which the test kills at the end.
//
// The step a real cluster does by itself, the metadata Job's pod running `nbv model inspect` on
// the claim, is a block of the walkthrough marked "only on the dev cluster": it runs the real
// `nbv model inspect DIR --termination-message inspect.json` on the folder that the
// walkthrough's `nbv run` wrote and finishes the pod through the kwok annotation
// `kwok.nbv.dev/complete` with that message. The test runs that block like the others and checks
// that the message is the real inspector's.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { V1Deployment, V1Job } from '@kubernetes/client-node';
import type { AnyBaseModel, InferenceService } from '../../src/api/ome.ts';
import { parseInspectResult, type InspectResult } from '../../src/model/report.ts';
import { kubeconfigPath, kubectl, waitFor } from './cluster.ts';
import {
  condition,
  getDeployment,
  getJob,
  getModel,
  getService,
  inspectTermination,
} from './models-env.ts';
import { freePort, operatorKubeconfig } from './operator.ts';
import { adaptCommand, walkthroughSteps, type Step } from './walkthrough-blocks.ts';

const REPO = join(import.meta.dirname, '..', '..');
const NAMESPACE = 'nbv-demo';
const MODEL = 'char-bigram';
const LINKED = ['package.json', 'bin', 'src', 'scripts', 'config', 'node_modules', 'python'];
/** The first block trains a model with papermill; the others talk to the apiserver. */
const BLOCK_TIMEOUT_MS = { first: 300_000, other: 150_000 };

const steps = walkthroughSteps(await readFile(join(REPO, 'docs', 'walkthrough.md'), 'utf8'));
let work: string;
let env: NodeJS.ProcessEnv;
let adapt: (code: string) => string;
/** Process groups of the blocks (each block is the leader of its own). */
const groups: number[] = [];
let failedBlock: string | undefined;

/** Signals every block's process group; true if any was still there (signal 0 only checks). */
function kill(signal: NodeJS.Signals | 0): boolean {
  let alive = false;
  for (const pgid of groups) {
    try {
      process.kill(-pgid, signal);
      alive = true;
    } catch {
      // the group is gone already
    }
  }
  return alive;
}

/** Runs one block in bash; resolves with its exit code and output (stdout and stderr). */
async function runBlock(
  step: Step,
  index: number,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  const logFile = join(work, `block-${index}.log`);
  const fd = openSync(logFile, 'w');
  // A file, not a pipe: a background process keeps its output open after bash exits.
  const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', adapt(step.code)], {
    cwd: work,
    env,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  if (child.pid !== undefined) groups.push(child.pid);
  let timer: NodeJS.Timeout | undefined;
  const code = await new Promise<number | null>((resolve) => {
    child.on('exit', (c) => resolve(c));
    timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // ended meanwhile
      }
      resolve(null);
    }, timeoutMs);
  });
  clearTimeout(timer);
  return { code, output: await readFile(logFile, 'utf8') };
}

async function operatorLog(): Promise<string> {
  return readFile(join(work, 'operator.log'), 'utf8').catch(() => '(no operator.log)');
}

function title(step: Step, i: number): string {
  const first = step.code.split('\n').find((l) => l.trim() !== '') ?? '';
  return `block ${i + 1} (docs/walkthrough.md:${step.line}): ${first.slice(0, 70)}`;
}

async function runStep(step: Step, i: number, t: TestContext): Promise<void> {
  if (failedBlock) assert.fail(`not run: ${failedBlock} failed`);
  const timeout = i === 0 ? BLOCK_TIMEOUT_MS.first : BLOCK_TIMEOUT_MS.other;
  const started = Date.now();
  const { code, output } = await runBlock(step, i, timeout);
  if (code !== 0) {
    failedBlock = title(step, i);
    const why = code === null ? `timed out after ${timeout} ms` : `exit ${code}`;
    assert.fail(
      `${why} after ${Date.now() - started} ms\n--- commands as run:\n${adapt(step.code)}\n--- output:\n${output.slice(-6000)}\n--- operator.log:\n${(await operatorLog()).slice(-4000)}`,
    );
  }
  // What the reader sees, in the test report (the end of it: render prints a whole Job).
  const shown = output.trimEnd().split('\n').slice(-12).join('\n');
  if (shown) t.diagnostic(shown);
}

/** `actual` has every field of `expected` (the apiserver adds defaults such as weight: 1). */
function assertIncludes(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === 'object' && expected !== null && !Array.isArray(expected)) {
    assert.equal(typeof actual, 'object', path);
    for (const [key, value] of Object.entries(expected))
      assertIncludes((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
  } else assert.deepEqual(actual, expected, path);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'nbv-walkthrough-'));
  for (const name of LINKED) await symlink(join(REPO, name), join(work, name));
  const kubectlBinary = process.env.NBV_TEST_KUBECTL ?? 'kubectl';
  env = {
    ...process.env,
    PATH: [dirname(kubectlBinary), join(REPO, 'node_modules', '.bin'), process.env.PATH].join(':'),
    // What `export "$(npx nbv dev cluster up | tail -n 1)"` sets for a reader.
    KUBECONFIG: kubeconfigPath(),
  };
  const adaptation = {
    operatorKubeconfig: await operatorKubeconfig(),
    metricsPort: await freePort(),
    healthPort: await freePort(),
  };
  adapt = (code) => adaptCommand(code, adaptation);
});

after(async () => {
  // Up to 2 s to stop on SIGTERM, then SIGKILL.
  if (kill('SIGTERM')) await waitFor(() => !kill(0), 2_000, 'the blocks to exit').catch(() => {});
  kill('SIGKILL');
  // Leftovers when an earlier step failed (the cleanup blocks did not run); as admin.
  await kubectl([
    'delete',
    `namespace/${NAMESPACE}`,
    'persistentvolume/nbv-demo-trained-models',
    '--ignore-not-found',
    '--wait=false',
  ]).catch(() => {});
  if (work && !failedBlock) await rm(work, { recursive: true, force: true });
  else if (work) process.stderr.write(`walkthrough: scratch folder kept: ${work}\n`);
});

describe('docs/walkthrough.md', () => {
  assert.ok(steps.filter((s) => s.kind === 'run').length >= 8, 'the walkthrough has its sh blocks');

  steps.forEach((step, i) => {
    if (step.kind === 'dev-cluster') {
      // The block starts a dev cluster; the test run has one already (global setup): what the
      // block promises, a ready control plane, is what this checks.
      it(`${title(step, i)} [dev-cluster: the test run's control plane]`, async () => {
        assert.equal((await kubectl(['get', '--raw', '/readyz'])).trim(), 'ok');
      });
    } else if (step.kind === 'run') {
      it(title(step, i), (t) => runStep(step, i, t));
    }
  });

  describe('the final state', () => {
    let inspected: Extract<InspectResult, { ok: true }>;
    let termination: string;

    before(async () => {
      if (failedBlock) return;
      const dir = join(work, '.nbv', 'volumes', 'trained-models', MODEL);
      const result = await inspectTermination(dir);
      assert.equal(result.exitCode, 0, result.message);
      const parsed = parseInspectResult(result.message);
      assert.ok(parsed.ok, result.message);
      inspected = parsed;
      termination = result.message;
    });

    it('the pod was finished with the real inspector’s termination message', async () => {
      if (failedBlock) assert.fail(`not checked: ${failedBlock} failed`);
      assert.equal(await readFile(join(work, 'inspect.json'), 'utf8'), termination);
    });

    it('the BaseModel is Ready with the metadata nbv model inspect found', async () => {
      if (failedBlock) assert.fail(`not checked: ${failedBlock} failed`);
      const model = (await getModel('BaseModel', MODEL, NAMESPACE)) as AnyBaseModel;
      assert.equal(model.status?.state, 'Ready', JSON.stringify(model.status));
      assert.equal(condition(model, 'Ready')?.status, 'True');
      assert.equal(condition(model, 'Ready')?.reason, 'PVCMetadataReady');
      assert.equal(condition(model, 'SourceReachable')?.reason, 'PVCBound');
      assert.equal(model.status?.observedGeneration, model.metadata.generation);
      // Every field inspect found is in the spec, as found; what the sample sets is kept.
      const spec = model.spec as Record<string, unknown>;
      for (const [key, value] of Object.entries(inspected.metadata))
        assertIncludes(spec[key], value, `spec.${key}`);
      assert.equal(model.spec.modelArchitecture, 'LlamaForCausalLM');
      assert.equal(model.spec.maxTokens, 256);
      assert.equal(model.spec.vendor, 'nbv-samples');
      assert.equal(model.spec.displayName, MODEL);
      assert.ok(model.metadata.finalizers?.includes('ome.io/metadata-cleanup'));

      const job = (await getJob(NAMESPACE, model.status?.metadataJobName ?? '')) as V1Job;
      const pod = job.spec?.template.spec;
      assert.deepEqual(pod?.volumes?.[0]?.persistentVolumeClaim, {
        claimName: 'trained-models',
        readOnly: true,
      });
      assert.deepEqual(pod?.containers[0]?.volumeMounts?.[0], {
        name: 'model',
        mountPath: '/model',
        subPath: MODEL,
        readOnly: true,
      });
      assert.equal(job.status?.succeeded, 1);
    });

    it('the InferenceService is Ready; its Deployment mounts the same claim read-only', async () => {
      if (failedBlock) assert.fail(`not checked: ${failedBlock} failed`);
      const isvc = (await getService(NAMESPACE, MODEL)) as InferenceService;
      assert.equal(condition(isvc, 'Ready')?.status, 'True', JSON.stringify(isvc.status));
      assert.equal(isvc.status?.url, `http://${MODEL}.${NAMESPACE}.svc.cluster.local:8080`);
      assert.equal(isvc.status?.runtime, 'transformers-safetensors');
      const deployment = (await getDeployment(NAMESPACE, `${MODEL}-engine`)) as V1Deployment;
      const pod = deployment.spec?.template.spec;
      assert.deepEqual(pod?.volumes?.find((v) => v.name === 'model-pvc')?.persistentVolumeClaim, {
        claimName: 'trained-models',
        readOnly: true,
      });
      const container = pod?.containers[0];
      assert.deepEqual(
        container?.volumeMounts?.find((m) => m.name === 'model-pvc'),
        { name: 'model-pvc', mountPath: '/opt/ml/model', subPath: MODEL, readOnly: true },
      );
      assert.deepEqual(
        container?.env?.find((e) => e.name === 'MODEL_PATH'),
        { name: 'MODEL_PATH', value: '/opt/ml/model' },
      );
      assert.equal(deployment.status?.readyReplicas, 1);
    });

    it('the operator, under its generated role, logged no reconcile error', async () => {
      if (failedBlock) assert.fail(`not checked: ${failedBlock} failed`);
      const lines = (await operatorLog()).split('\n');
      const errors = lines.filter((l) => /reconciler error|forbidden/i.test(l));
      assert.deepEqual(errors, []);
    });
  });

  steps.forEach((step, i) => {
    if (step.kind === 'cleanup') it(title(step, i), (t) => runStep(step, i, t));
  });
});
