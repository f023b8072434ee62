// Benchmark: the NotebookValidationJob operator under a burst, as a real operator process on a
// real control plane (etcd, kube-apiserver, scheduler, controller-manager, kwok as the kubelet).
//
//   1. 1,000 jobs created at once (50 creates in flight): time until every job has its validation
//      pod; then every pod completed through kwok with a real report summary as its termination
//      message: time until every job is Succeeded. Operator RSS sampled every 200 ms.
//   2. 9,000 more jobs (10,000 in all, their pods left running): time until every job has a
//      started pod and a settled status; then, after 10 s without work, the operator's RSS with
//      10,000 jobs and 10,000 pods in its caches. Target: RSS <= 150 MB.
//   3. Time permitting, the operator restarted on that cluster: the same command, then with
//      NODE_OPTIONS=--max-semi-space-size=2, then compiled JS with that flag; RSS 10 s after it
//      has synced and gone through every job, as ratios against the first.
//
// The operator runs as `node bin/nbv.js operator` (TypeScript sources through type stripping, as
// in a checkout; the image runs compiled JS). The kwok node's 110 pods, 32 CPUs and 256 GiB are
// raised first, so that 10,000 pods fit.
//
// Every wait is bounded by --budget-seconds (default 600) for the whole bench: on a slow machine
// it prints how far the cluster got instead of the time, and measures the memory anyway.
//
// Run: node bench/operator-burst.ts [--burst N] [--total N] [--budget-seconds N]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { V1Pod } from '@kubernetes/client-node';
import { customResourceDefinition } from '../src/api/crd.ts';
import { RESOURCES } from '../src/api/resources.ts';
import { validationPodName } from '../src/builders/validation-pod.ts';
import { notebookValidationJobs } from '../src/controllers/notebookvalidationjob/controller.ts';
import {
  COMPLETE_ANNOTATION,
  KWOK_NODE_NAME,
  completeAnnotation,
  startControlPlane,
} from '../src/dev/controlplane/index.ts';
import { freePorts } from '../src/dev/controlplane/process.ts';
import { formatTerminationMessage, summarize } from '../src/notebook/summary.ts';
import type { ValidationReport } from '../src/notebook/report.ts';
import {
  Informer,
  KubeClient,
  loadConnection,
  resourceType,
  resources,
  type KubeObject,
  type ResourceType,
} from '../src/runtime/index.ts';
import { mb, percentile, pool } from './lib/stats.ts';

export const TARGET_RSS_BYTES = 150 * 1024 * 1024;
const SEMI_SPACE_FLAGS = '--max-semi-space-size=2';
const HEAP_CAP_FLAG = '--max-old-space-size=128';

const repo = join(import.meta.dirname, '..');
const NAMESPACE = 'bench-operator-burst';
const POD_SELECTOR = 'app.kubernetes.io/managed-by=nbv,app.kubernetes.io/component=validation';
const CONCURRENCY = 50;
const NODE_CAPACITY = { pods: '20000', cpu: '2000', memory: '4Ti' };

const NODES: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Node',
  plural: 'nodes',
  namespaced: false,
};
const SERVICE_ACCOUNTS: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'ServiceAccount',
  plural: 'serviceaccounts',
  namespaced: true,
};

interface Job extends KubeObject {
  status?: {
    phase?: string;
    message?: string;
  };
}

const { values } = parseArgs({
  options: {
    burst: { type: 'string', default: '1000' },
    total: { type: 'string', default: '10000' },
    'budget-seconds': { type: 'string', default: '600' },
  },
});
const BURST = Number(values.burst);
const TOTAL = Number(values.total);
const benchStart = performance.now();
const deadline = benchStart + Number(values['budget-seconds']) * 1000;

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const remainingMs = (): number => deadline - performance.now();
const jobName = (i: number): string => `nvj-${String(i).padStart(5, '0')}`;
const loadAverage = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

/** Polls `done` every `everyMs`; the time it took, or undefined when `limitMs` passed first. */
async function waitUntil(
  done: () => boolean | Promise<boolean>,
  limitMs: number,
  everyMs = 250,
): Promise<number | undefined> {
  const start = performance.now();
  while (!(await done())) {
    if (performance.now() - start > limitMs) return undefined;
    await sleep(everyMs);
  }
  return performance.now() - start;
}

/** CPU time (user + system) a process has used, in seconds. */
function cpuSecondsOf(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After "pid (comm) ": state is field 3, utime and stime fields 14 and 15, in 1/100 s.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** VmRSS and VmHWM of a process, in bytes. */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** A Prometheus text exposition, summed by metric name (all label sets together). */
async function scrape(port: number): Promise<Map<string, number>> {
  const sums = new Map<string, number>();
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  for (const line of (await res.text()).split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (match?.[1] && match[2]) sums.set(match[1], (sums.get(match[1]) ?? 0) + Number(match[2]));
  }
  return sums;
}

/** The operator as its own process, RSS sampled every 200 ms. */
class Operator {
  readonly process: ChildProcess;
  readonly port: number;
  readonly logPath: string;
  peakRss = 0;
  #sampler: NodeJS.Timeout;
  #exited: Promise<void>;

  constructor(
    kubeconfig: string,
    port: number,
    logPath: string,
    options: { nodeOptions?: string; entry?: string } = {},
  ) {
    this.port = port;
    this.logPath = logPath;
    const log = openSync(logPath, 'a');
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    if (options.nodeOptions) env.NODE_OPTIONS = options.nodeOptions;
    this.process = spawn(
      process.execPath,
      [
        options.entry ?? join(repo, 'bin/nbv.js'),
        'operator',
        ...['--kubeconfig', kubeconfig, '--namespace', NAMESPACE, '--webhook-port=-1'],
        ...['--metrics-port', String(port), '--health-port', String(port)],
        ...['--bind-address', '127.0.0.1', '--workers', '8'],
      ],
      { stdio: ['ignore', log, log], env },
    );
    closeSync(log);
    this.#exited = new Promise((resolve) => this.process.once('exit', () => resolve()));
    this.#sampler = setInterval(() => this.sample(), 200);
  }

  get pid(): number {
    return this.process.pid ?? 0;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  sample(): { rss: number; hwm: number } {
    if (!this.running) return { rss: 0, hwm: 0 };
    try {
      const memory = memoryOf(this.pid);
      this.peakRss = Math.max(this.peakRss, memory.rss);
      return memory;
    } catch {
      return { rss: 0, hwm: 0 };
    }
  }

  cpuSeconds(): number {
    try {
      return cpuSecondsOf(this.pid);
    } catch {
      return NaN;
    }
  }

  async waitReady(limitMs = 60_000): Promise<number> {
    const readyMs = await waitUntil(
      async () => {
        if (!this.running) throw new Error(`the operator exited (${this.describe()})`);
        // Refused while it is not listening yet.
        const res = await fetch(`http://127.0.0.1:${this.port}/readyz`).catch(() => undefined);
        await res?.text();
        return res?.ok === true;
      },
      limitMs,
      100,
    );
    if (readyMs === undefined)
      throw new Error(`the operator was not ready in ${secs(limitMs)}: ${this.describe()}`);
    return readyMs;
  }

  /** Waits until the work queue is empty and no reconcile happened for `quietMs`. */
  async waitQuiet(limitMs: number, quietMs = 3000): Promise<number | undefined> {
    const start = performance.now();
    let last = -1;
    let since = performance.now();
    while (performance.now() - start < limitMs) {
      const metrics = await scrape(this.port);
      const reconciles = metrics.get('controller_runtime_reconcile_total') ?? 0;
      const depth = metrics.get('workqueue_depth') ?? 0;
      if (reconciles !== last || depth > 0) {
        last = reconciles;
        since = performance.now();
      } else if (performance.now() - since >= quietMs) return since - start;
      await sleep(500);
    }
    return undefined;
  }

  describe(): string {
    const state = this.running
      ? `pid ${this.pid}`
      : `exit ${this.process.exitCode ?? this.process.signalCode}`;
    const tail = readFileSync(this.logPath, 'utf8').trim().split('\n').slice(-5).join('\n  ');
    return `${state}; log ${this.logPath}:\n  ${tail}`;
  }

  async stop(): Promise<void> {
    clearInterval(this.#sampler);
    if (!this.running) return;
    this.process.kill('SIGTERM');
    const killed = await Promise.race([this.#exited.then(() => false), sleep(10_000, true)]);
    if (killed) {
      this.process.kill('SIGKILL');
      await this.#exited;
    }
  }
}

/** What the operator logged at warn level and above, counted by message. */
function logProblems(logPath: string): string {
  const counts = new Map<string, number>();
  let first: string | undefined;
  for (const line of readFileSync(logPath, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: { level?: string; msg?: string; informer?: string; err?: { message?: string } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (!['warn', 'error', 'fatal'].includes(entry.level ?? '')) continue;
    const key = `${entry.level}: ${entry.msg ?? ''}${entry.informer ? ` (${entry.informer})` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    first ??= `${entry.msg ?? ''}${entry.err?.message ? ` (${entry.err.message})` : ''}`;
  }
  if (counts.size === 0) return 'no warnings or errors';
  const list = [...counts].map(([k, n]) => `${n} x ${k}`).join('; ');
  return `${list}; first: ${first ?? ''}`;
}

/** Mean JSON size of cached pods (and of their containers' command and args) and jobs. */
function objectSizes(pods: Iterable<V1Pod>, jobs: Iterable<KubeObject>): string {
  const sample = <T>(items: Iterable<T>): T[] => [...items].slice(0, 200);
  const mean = (values: number[]): number =>
    values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
  const somePods = sample(pods);
  const podBytes = mean(somePods.map((pod) => JSON.stringify(pod).length));
  const scriptBytes = mean(
    somePods.map((pod) =>
      [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]
        .map((c) => JSON.stringify([c.command ?? [], c.args ?? []]).length)
        .reduce((a, b) => a + b, 0),
    ),
  );
  const jobBytes = mean(sample(jobs).map((job) => JSON.stringify(job).length));
  return (
    `pod ${kb(podBytes)} (of which containers' command and args ${kb(scriptBytes)}), ` +
    `job ${kb(jobBytes)}`
  );
}

/** What the operator did between two scrapes, and the CPU time it took. */
function operatorWork(
  before: Map<string, number>,
  after: Map<string, number>,
  cpuSeconds: number,
): string {
  const delta = (name: string): number => (after.get(name) ?? 0) - (before.get(name) ?? 0);
  const mean = (histogram: string): string => {
    const seconds = delta(`${histogram}_sum`) / delta(`${histogram}_count`);
    return Number.isFinite(seconds) ? `${(seconds * 1000).toFixed(0)} ms` : '-';
  };
  return (
    `${delta('controller_runtime_reconcile_total')} reconciles, ` +
    `${delta('controller_runtime_reconcile_errors_total')} errors, ` +
    `${delta('workqueue_retries_total')} retries; mean reconcile ${mean('controller_runtime_reconcile_time_seconds')}, ` +
    `mean wait in the queue ${mean('workqueue_queue_duration_seconds')}, ` +
    `${cpuSeconds.toFixed(1)} s CPU`
  );
}

/** The termination message of a report step that ran a 3-cell notebook without errors. */
function reportMessage(): string {
  const report: ValidationReport = {
    status: {
      phase: 'Succeeded',
      message: 'Notebook validation completed: 3 of 3 cells succeeded',
      results: [0, 1, 2].map((cellIndex) => ({
        cellIndex,
        status: 'Success' as const,
        executionTime: '0.12s',
      })),
    },
    notebookPath: 'nb.ipynb',
    sources: [],
  };
  return formatTerminationMessage(summarize(report));
}

function newJob(name: string): Job & { spec: unknown } {
  return {
    apiVersion: 'mlops.mlops.dev/v1alpha1',
    kind: 'NotebookValidationJob',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      notebook: { git: { url: 'https://git.example.com/a.git', ref: 'main' }, path: 'nb.ipynb' },
      podConfig: { containerImage: 'quay.io/jupyter/minimal-notebook:2025' },
    },
  };
}

/**
 * The operator as the package ships it: src compiled to dist/ (tsconfig.build.json) beside a copy
 * of bin/nbv.js, which runs dist/ when there is no src/.
 */
function compile(): string {
  const out = mkdtempSync(join(tmpdir(), 'nbv-bench-operator-'));
  const tsc = spawnSync(
    process.execPath,
    [join(repo, 'node_modules/typescript/bin/tsc'), '-p', join(repo, 'tsconfig.build.json')].concat(
      ['--outDir', join(out, 'dist'), '--sourceMap', 'false'],
    ),
    { encoding: 'utf8' },
  );
  // Type errors elsewhere in the tree still emit JavaScript; only a missing entry point is fatal.
  if (!existsSync(join(out, 'dist/cli/main.js')))
    throw new Error(`compiling the operator failed:\n${tsc.stdout}${tsc.stderr}`);
  mkdirSync(join(out, 'bin'));
  copyFileSync(join(repo, 'bin/nbv.js'), join(out, 'bin/nbv.js'));
  symlinkSync(join(repo, 'node_modules'), join(out, 'node_modules'));
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  return out;
}

/**
 * nbv's CRDs (what `nbv crds` prints) and the bench's namespace. Waits until every kind can be
 * listed, as the operator's informers do first (a fresh CRD answers 429 "storage is
 * (re)initializing" for a while after it is Established), and for the namespace's default
 * ServiceAccount, without which no pod can be created.
 */
async function prepareCluster(client: KubeClient): Promise<void> {
  for (const def of RESOURCES) await client.apply(customResourceDefinition(def));
  await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
  const listed = (type: ResourceType): Promise<boolean> =>
    client.list(type, { ...(type.namespaced ? { namespace: NAMESPACE } : {}), limit: 1 }).then(
      () => true,
      () => false,
    );
  const ready = await waitUntil(
    async () =>
      (await Promise.all(RESOURCES.map((def) => listed(resourceType(def))))).every(Boolean) &&
      Boolean(await client.get(SERVICE_ACCOUNTS, 'default', NAMESPACE)),
    60_000,
    200,
  );
  if (ready === undefined) throw new Error('CRDs or namespace not ready in 60 s');
}

/** Raises the kwok node's capacity so that TOTAL pods of 50m CPU and 64 MiB fit. */
async function raiseNodeCapacity(kube: KubeClient): Promise<string> {
  const capacity = { ...NODE_CAPACITY };
  await kube.mergePatch(
    NODES,
    { name: KWOK_NODE_NAME },
    { status: { capacity, allocatable: capacity } },
    { subresource: 'status' },
  );
  return nodePods(kube);
}

async function nodePods(kube: KubeClient): Promise<string> {
  const node = await kube.get<KubeObject & { status?: { allocatable?: { pods?: string } } }>(
    NODES,
    KWOK_NODE_NAME,
  );
  return node?.status?.allocatable?.pods ?? '?';
}

async function main(): Promise<void> {
  console.log(`load average ${loadAverage()} at start`);
  console.log('starting a control plane');
  const controlPlane = await startControlPlane({ log: (line) => console.log(`  ${line}`) });
  let operator: Operator | undefined;
  const informers: Informer<KubeObject>[] = [];
  let kube: KubeClient | undefined;
  let failed = true;
  let compiledDir: string | undefined;
  try {
    const kubeconfig = controlPlane.kubeconfigPath;
    const client = new KubeClient(loadConnection({ kubeconfig }), { fieldManager: 'nbv-bench' });
    kube = client;
    await prepareCluster(client);
    const allocatable = await raiseNodeCapacity(client);
    console.log(`kwok node allocatable pods raised to ${allocatable}`);

    // The bench's own view: when each job got its pod, when kwok started it, when it finished.
    const createdAt = new Map<string, number>();
    const podSeenAt = new Map<string, number>();
    const completedAt = new Map<string, number>();
    const succeededAt = new Map<string, number>();
    let lastJobEvent = performance.now();
    let jobUpdates = 0;
    const pods = new Informer<V1Pod & KubeObject>(client, resources.pods, {
      namespace: NAMESPACE,
      labelSelector: POD_SELECTOR,
      pageSize: 500,
    });
    pods.addHandlers({
      add: (pod) => {
        const name = pod.metadata?.name ?? '';
        if (!podSeenAt.has(name)) podSeenAt.set(name, performance.now());
      },
    });
    const jobs = new Informer<Job>(client, notebookValidationJobs, {
      namespace: NAMESPACE,
      pageSize: 500,
    });
    const onJob = (job: Job): void => {
      lastJobEvent = performance.now();
      jobUpdates++;
      const name = job.metadata?.name ?? '';
      if (job.status?.phase === 'Succeeded' && !succeededAt.has(name))
        succeededAt.set(name, performance.now());
    };
    jobs.addHandlers({ add: onJob, update: (_, job) => onJob(job) });
    informers.push(pods as Informer<KubeObject>, jobs as Informer<KubeObject>);
    pods.start();
    jobs.start();
    await Promise.all([pods.waitForSync(), jobs.waitForSync()]);

    const { port } = await freePorts(['port']);
    const logPath = join(controlPlane.stateDir, 'logs', 'operator.log');
    operator = new Operator(kubeconfig, port, logPath);
    const readyMs = await operator.waitReady();
    await sleep(1000);
    const idle = operator.sample();
    console.log(
      `operator (pid ${operator.pid}, --workers 8) ready in ${secs(readyMs)}; idle RSS ${mb(idle.rss)}`,
    );

    /** Creates the jobs, CONCURRENCY at a time; how long each create took (ms). */
    const createJobs = async (names: readonly string[]): Promise<number[]> => {
      const latency: number[] = [];
      await pool(names, CONCURRENCY, async (name) => {
        const t = performance.now();
        await client.create(newJob(name));
        const done = performance.now();
        createdAt.set(name, done);
        latency.push(done - t);
      });
      return latency;
    };
    const createFigures = (latency: readonly number[]): string =>
      `(the bench's creates: median ${percentile(latency, 50).toFixed(0)} ms, ` +
      `p99 ${percentile(latency, 99).toFixed(0)} ms each)`;

    // 1. The burst.
    const burst = Array.from({ length: BURST }, (_, i) => jobName(i));
    const podOf = (name: string): string => `${NAMESPACE}/${validationPodName(name, 1)}`;
    /** Per job, from its create to its pod in the bench's cache (ms). */
    const podLatencies = (names: readonly string[]): number[] =>
      names
        .map(
          (name) =>
            (podSeenAt.get(validationPodName(name, 1)) ?? NaN) - (createdAt.get(name) ?? NaN),
        )
        .filter((ms) => !Number.isNaN(ms));
    const latencyFigures = (what: string, latency: readonly number[]): string =>
      `(per job, ${what}: median ${secs(percentile(latency, 50))}, p99 ${secs(percentile(latency, 99))})`;
    let metricsBefore = await scrape(port);
    let cpuBefore = operator.cpuSeconds();
    const jobEvents0 = jobUpdates;
    const t0 = performance.now();
    const createLatency1 = await createJobs(burst);
    const createdMs = performance.now() - t0;
    const allPods = await waitUntil(
      () => burst.every((name) => pods.store.get(podOf(name))),
      Math.min(300_000, remainingMs() - 240_000),
    );
    if (allPods === undefined) {
      const have = burst.filter((name) => pods.store.get(podOf(name))).length;
      throw new Error(`only ${have} of ${BURST} pods after the wait: ${operator.describe()}`);
    }
    const podsMs = performance.now() - t0;

    const message = reportMessage();
    const annotation = completeAnnotation({ report: { exitCode: 0, message } });
    const t1 = performance.now();
    await pool(burst, CONCURRENCY, async (name) => {
      await client.mergePatch(
        resources.pods,
        { namespace: NAMESPACE, name: validationPodName(name, 1) },
        { metadata: { annotations: { [COMPLETE_ANNOTATION]: annotation } } },
      );
      completedAt.set(name, performance.now());
    });
    const patchedMs = performance.now() - t1;
    const allDone = await waitUntil(
      () => burst.every((name) => succeededAt.has(name)),
      Math.min(300_000, remainingMs() - 180_000),
    );
    const doneMs = performance.now() - t1;
    const succeeded = burst.filter((name) => succeededAt.has(name)).length;
    const doneLatency = burst
      .filter((name) => succeededAt.has(name))
      .map((name) => (succeededAt.get(name) ?? NaN) - (completedAt.get(name) ?? NaN));
    await sleep(1000);
    const afterBurst = operator.sample();
    const burstPeak = operator.peakRss;
    let metricsAfter = await scrape(port);
    let cpuAfter = operator.cpuSeconds();

    console.log(`burst of ${BURST} NotebookValidationJobs (${CONCURRENCY} creates in flight)`);
    console.log(`  all created:              ${secs(createdMs)} ${createFigures(createLatency1)}`);
    console.log(
      `  every job has its pod:    ${secs(podsMs)} after the first create ` +
        latencyFigures('create to pod seen', podLatencies(burst)),
    );
    console.log(
      `  pods completed via kwok:  patches sent in ${secs(patchedMs)}; ` +
        (allDone === undefined
          ? `only ${succeeded} of ${BURST} jobs Succeeded after ${secs(doneMs)}`
          : `every job Succeeded ${secs(doneMs)} after the first patch`) +
        ` ${latencyFigures('patch to Succeeded', doneLatency)}`,
    );
    console.log(
      `  first create to last Succeeded: ${secs(performance.now() - t0)}; ` +
        `${((jobUpdates - jobEvents0) / BURST).toFixed(1)} watch events per job (its create and every status write)`,
    );
    console.log(
      `  operator RSS: peak ${mb(burstPeak)} (200 ms samples), VmHWM ${mb(afterBurst.hwm)}, ` +
        `now ${mb(afterBurst.rss)}`,
    );
    console.log(
      `  operator work: ${operatorWork(metricsBefore, metricsAfter, cpuAfter - cpuBefore)}`,
    );

    // 2. 10,000 jobs in the caches.
    const more = Array.from({ length: TOTAL - BURST }, (_, i) => jobName(BURST + i));
    const all = [...burst, ...more];
    const started = (name: string): boolean => Boolean(pods.store.get(podOf(name))?.status?.podIP);
    // Finished (the burst), or the status the operator writes once it has seen the pod on a
    // node (pod-state.ts).
    const settled = (name: string): boolean => {
      const status = jobs.store.get(`${NAMESPACE}/${name}`)?.status;
      return status?.phase === 'Succeeded' || status?.message === 'cloning the notebook';
    };
    metricsBefore = metricsAfter;
    cpuBefore = cpuAfter;
    const t2 = performance.now();
    const createLatency = await createJobs(more);
    const created2Ms = performance.now() - t2;
    // The memory figure needs full caches (every job with its pod); started pods and settled
    // statuses are waited for only as long as the budget leaves time to measure.
    const podsDone = await waitUntil(
      () => all.every((name) => pods.store.get(podOf(name))),
      remainingMs() - 60_000,
    );
    const pods2Ms = performance.now() - t2;
    const startedDone = await waitUntil(() => all.every(started), remainingMs() - 45_000);
    const started2Ms = performance.now() - t2;
    const statusDone = await waitUntil(
      () => all.every(settled) && performance.now() - lastJobEvent > 3000,
      remainingMs() - 30_000,
    );
    const status2Ms = performance.now() - t2 - (statusDone === undefined ? 0 : 3000);
    const podCount = all.filter((name) => pods.store.get(podOf(name))).length;
    const startedCount = all.filter(started).length;
    const settledCount = all.filter(settled).length;
    console.log(`${more.length} more jobs (${TOTAL} in all, their pods left running)`);
    console.log(`  all created:              ${secs(created2Ms)} ${createFigures(createLatency)}`);
    const figure = (ok: unknown, count: number, ms: number): string =>
      ok === undefined
        ? `only ${count} of ${TOTAL} after ${secs(ms)} (gave up, time budget)`
        : `${secs(ms)} after the first create`;
    console.log(
      `  every job has its pod:    ${figure(podsDone, podCount, pods2Ms)} ` +
        latencyFigures('create to pod seen', podLatencies(more)),
    );
    console.log(`  every pod started (kwok): ${figure(startedDone, startedCount, started2Ms)}`);
    console.log(
      `  every job's status says its pod started, then no job events for 3 s: ${figure(statusDone, settledCount, status2Ms)}`,
    );
    await sleep(10_000);
    const settledMemory = operator.sample();
    metricsAfter = await scrape(port);
    cpuAfter = operator.cpuSeconds();
    const heapUsed = metricsAfter.get('nodejs_heap_size_used_bytes');
    const verdict = settledMemory.rss <= TARGET_RSS_BYTES ? 'met' : 'MISSED';
    console.log(
      `  operator RSS with ${jobs.store.size} jobs and ${pods.store.size} pods, 10 s after: ` +
        `${mb(settledMemory.rss)} (target <= ${mb(TARGET_RSS_BYTES)}: ${verdict})` +
        `${heapUsed ? `; V8 heap used ${mb(heapUsed)}` : ''}`,
    );
    console.log(
      `  operator RSS peak over the run ${mb(operator.peakRss)}, VmHWM ${mb(settledMemory.hwm)}`,
    );
    console.log(
      `  operator work: ${operatorWork(metricsBefore, metricsAfter, cpuAfter - cpuBefore)}`,
    );
    console.log(
      `  cached objects as JSON (managedFields dropped, as the operator's informers do): ${objectSizes(pods.store.values(), jobs.store.values())}`,
    );
    console.log(`  operator log: ${logProblems(logPath)}`);
    console.log(`  kwok node allocatable pods at the end: ${await nodePods(client)}`);
    await operator.stop();

    // 3. Restarts on the full cluster: the same command, then with the semi-space flag, then
    // compiled JS with it (what an image would run). Ratios against the first.
    const restarts: { label: string; nodeOptions?: string; compiled?: boolean }[] = [
      { label: 'bin/nbv.js, node defaults' },
      { label: `bin/nbv.js, NODE_OPTIONS=${SEMI_SPACE_FLAGS}`, nodeOptions: SEMI_SPACE_FLAGS },
      {
        label: `compiled JS, NODE_OPTIONS=${SEMI_SPACE_FLAGS}`,
        nodeOptions: SEMI_SPACE_FLAGS,
        compiled: true,
      },
      {
        // The old generation capped near the live heap: what a tight container limit does.
        label: `compiled JS, NODE_OPTIONS=${SEMI_SPACE_FLAGS} ${HEAP_CAP_FLAG}`,
        nodeOptions: `${SEMI_SPACE_FLAGS} ${HEAP_CAP_FLAG}`,
        compiled: true,
      },
    ];
    console.log(
      `operator restarted on the ${TOTAL} jobs and their pods; RSS 10 s after it is done:`,
    );
    let baseline: number | undefined;
    for (const { label, nodeOptions, compiled } of restarts) {
      if (remainingMs() < 90_000) {
        console.log(`  ${label}: skipped (time budget)`);
        continue;
      }
      if (compiled) compiledDir ??= compile();
      const entry = compiled && compiledDir ? join(compiledDir, 'bin/nbv.js') : undefined;
      const updatesBefore = jobUpdates;
      operator = new Operator(kubeconfig, port, logPath, { nodeOptions, entry });
      const restartReady = await operator.waitReady(remainingMs() - 30_000);
      const quiet = await operator.waitQuiet(remainingMs() - 30_000);
      await sleep(10_000);
      const memory = operator.sample();
      const restartMetrics = await scrape(port);
      const heap = restartMetrics.get('nodejs_heap_size_used_bytes');
      baseline ??= memory.rss;
      console.log(
        `  ${label}: RSS ${mb(memory.rss)} (x${(memory.rss / baseline).toFixed(2)}; target <= ${mb(TARGET_RSS_BYTES)}), ` +
          `peak ${mb(operator.peakRss)}${heap ? `, V8 heap used ${mb(heap)}` : ''}; ` +
          `caches synced in ${secs(restartReady)}, ` +
          `${quiet === undefined ? 'still reconciling at the time limit' : `reconciling done ${secs(quiet)} later`} ` +
          `(${restartMetrics.get('controller_runtime_reconcile_total') ?? 0} reconciles, ` +
          `${jobUpdates - updatesBefore} job updates, ` +
          `${operator.cpuSeconds().toFixed(1)} s CPU)`,
      );
      await operator.stop();
    }
    console.log(
      `bench took ${secs(performance.now() - benchStart)}; load average ${loadAverage()} at the end`,
    );
    failed = false;
  } finally {
    await operator?.stop();
    await Promise.all(informers.map((informer) => informer.stop()));
    kube?.close();
    await controlPlane.stop();
    if (compiledDir) rmSync(compiledDir, { recursive: true, force: true });
    if (failed) console.log(`control plane state and logs kept in ${controlPlane.stateDir}`);
    else rmSync(controlPlane.stateDir, { recursive: true, force: true });
  }
}

await main();
