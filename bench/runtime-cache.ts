// Benchmark: the memory of an informer cache holding 10,000 NotebookValidationJobs, as the
// operator's would on a busy cluster. Fills a real control plane with jobs shaped like the
// samples (spec plus a finished status with per-cell results), then, in a fresh process, lists
// and watches them into an Informer and prints the resident set size, running compiled JS as
// the operator image does, with node's default flags and with OPERATOR_NODE_FLAGS.
// Target: RSS <= 150 MB with OPERATOR_NODE_FLAGS.
//
// Run: node bench/runtime-cache.ts [--objects N] [--kubeconfig FILE]
// Without --kubeconfig (or $NBV_TEST_KUBECONFIG) it starts its own control plane and stops it
// at the end (building the binaries first if they are not cached).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAllDocuments, parse } from 'yaml';
import type { ControlPlane } from '../src/dev/controlplane/index.ts';
import { fromKubeconfigFiles } from '../src/runtime/connection.ts';
import { Informer } from '../src/runtime/informer.ts';
import { KubeClient, type KubeObject } from '../src/runtime/kube.ts';
import type { ResourceType } from '../src/runtime/resources.ts';
import { mb, pool } from './lib/stats.ts';

export const TARGET_RSS_BYTES = 150 * 1024 * 1024;
/**
 * What the operator's container should run node with: V8's default young generation (up to
 * 3 x 16 MB semi-spaces, grown during a list) alone takes the RSS past the target.
 */
export const OPERATOR_NODE_FLAGS = ['--max-semi-space-size=2'];

const repo = join(import.meta.dirname, '..');
// By hand, not from src/api: the measuring process (this file) loads only the runtime.
const NVJ: ResourceType = {
  group: 'mlops.mlops.dev',
  version: 'v1alpha1',
  kind: 'NotebookValidationJob',
  plural: 'notebookvalidationjobs',
  namespaced: true,
};
const NAMESPACE = 'bench-runtime-cache';
const LABEL = 'nbv.mlops.dev/bench=runtime-cache';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '10000' },
    kubeconfig: { type: 'string' },
    measure: { type: 'boolean', default: false },
    'page-size': { type: 'string', default: '100' },
  },
});
const objects = Number(values.objects);

// The runtime's own kubeconfig loader: the measuring process must not load client-node, which
// the operator does not load either.
function client(path: string): KubeClient {
  return new KubeClient(fromKubeconfigFiles([path]), { fieldManager: 'nbv-bench' });
}

function job(i: number, sample: KubeObject & { spec: unknown }): KubeObject & { spec: unknown } {
  const name = `nvj-${String(i).padStart(5, '0')}`;
  return {
    apiVersion: sample.apiVersion,
    kind: sample.kind,
    metadata: {
      name,
      namespace: NAMESPACE,
      labels: { ...sample.metadata?.labels, 'nbv.mlops.dev/bench': 'runtime-cache' },
    },
    spec: sample.spec,
  };
}

function finishedStatus(generation: number | undefined): Record<string, unknown> {
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    phase: 'Succeeded',
    observedGeneration: generation ?? 1,
    startTime: at,
    completionTime: at,
    validationPodName: 'validation-pod-attempt-1',
    message: 'Notebook validation completed: 8 of 8 cells succeeded',
    conditions: ['Ready', 'ValidationComplete'].map((type) => ({
      type,
      status: 'True',
      observedGeneration: generation ?? 1,
      lastTransitionTime: at,
      reason: 'ValidationSucceeded',
      message: 'All cells executed without errors',
    })),
    results: Array.from({ length: 8 }, (_, cellIndex) => ({
      cellIndex,
      status: 'Success',
      executionTime: '0.42s',
      output: `cell ${cellIndex} output: [1, 2, 3]`,
    })),
  };
}

/** Creates the CRD, the namespace and `count` jobs with a status, unless they are there. */
async function fill(kube: KubeClient, count: number): Promise<void> {
  const crdFile = join(repo, 'config/crd/mlops.mlops.dev_notebookvalidationjobs.yaml');
  for (const doc of parseAllDocuments(readFileSync(crdFile, 'utf8'))) {
    const crd = doc.toJS() as KubeObject | null;
    if (crd?.kind === 'CustomResourceDefinition') await kube.apply(crd);
  }
  await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
  const started = Date.now();
  for (;;) {
    try {
      await kube.list(NVJ, { namespace: NAMESPACE, limit: 1 });
      break;
    } catch (err) {
      if (Date.now() - started > 60_000) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const existing = await kube.listAll(NVJ, { namespace: NAMESPACE, labelSelector: LABEL });
  const have = new Set(existing.items.map((o) => o.metadata?.name));
  const sampleFile = join(
    repo,
    '../shared/reference/nvj-operator/samples/mlops_v1alpha1_notebookvalidationjob.yaml',
  );
  const sample = parse(readFileSync(sampleFile, 'utf8')) as KubeObject & { spec: unknown };
  const missing = Array.from({ length: count }, (_, i) => job(i, sample)).filter(
    (j) => !have.has(j.metadata?.name),
  );
  const t0 = Date.now();
  await pool(missing, 32, async (j) => {
    const created = await kube.create(j, { tolerateExisting: true });
    await kube.patchStatus({ ...j, status: finishedStatus(created.metadata?.generation) });
  });
  if (missing.length > 0) {
    const s = (Date.now() - t0) / 1000;
    console.log(`created ${missing.length} jobs with status in ${s.toFixed(1)} s`);
  }
}

/** In a fresh process: the cache alone, with nothing else the bench did in its heap. */
async function measure(kubeconfig: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  const kube = client(kubeconfig);
  const informer = new Informer(kube, NVJ, {
    namespace: NAMESPACE,
    labelSelector: LABEL,
    pageSize: Number(values['page-size']),
  });
  const t0 = Date.now();
  informer.start();
  await informer.waitForSync();
  const syncMs = Date.now() - t0;
  gc?.();
  const after = process.memoryUsage();
  const report = {
    objects: informer.store.size,
    syncMs,
    rssBefore: before.rss,
    rss: after.rss,
    heapUsed: after.heapUsed,
    heapTotal: after.heapTotal,
    external: after.external,
    heapPerObject: Math.round((after.heapUsed - before.heapUsed) / informer.store.size),
  };
  await informer.stop();
  kube.close();
  console.log(JSON.stringify(report));
}

interface Measurement {
  objects: number;
  syncMs: number;
  rssBefore: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  heapPerObject: number;
}

/**
 * Compiles this file (and the runtime it imports) to JavaScript, as the operator image runs it:
 * Node's type stripping alone costs ~20 MB of RSS, which a deployed operator does not pay.
 */
function compile(): string {
  const out = mkdtempSync(join(tmpdir(), 'nbv-bench-'));
  const tsc = spawnSync(
    process.execPath,
    [
      join(repo, 'node_modules/typescript/bin/tsc'),
      ...['--ignoreConfig', '--outDir', out, '--rootDir', repo, '--target', 'ES2024'],
      ...['--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node'],
      ...['--rewriteRelativeImportExtensions', '--allowImportingTsExtensions', '--skipLibCheck'],
      import.meta.filename,
    ],
    { encoding: 'utf8' },
  );
  if (tsc.status !== 0) throw new Error(`compiling the bench failed:\n${tsc.stdout}${tsc.stderr}`);
  symlinkSync(join(repo, 'node_modules'), join(out, 'node_modules'));
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  return out;
}

function measureIn(script: string, kubeconfig: string, nodeFlags: string[]): Measurement {
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', ...nodeFlags, script, '--measure', '--kubeconfig', kubeconfig],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (child.status !== 0) throw new Error(`the measuring process failed (${child.status})`);
  return JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as Measurement;
}

async function main(): Promise<void> {
  const given = values.kubeconfig ?? process.env.NBV_TEST_KUBECONFIG;
  let controlPlane: ControlPlane | undefined;
  if (!given) {
    console.log('starting a control plane');
    // Imported here: the measuring process (same file) should not carry it.
    const { startControlPlane } = await import('../src/dev/controlplane/index.ts');
    controlPlane = await startControlPlane({ log: (line) => console.log(`  ${line}`) });
  }
  const kubeconfig = given ?? controlPlane?.kubeconfigPath ?? '';
  const compiled = compile();
  try {
    const kube = client(kubeconfig);
    await fill(kube, objects);
    kube.close();
    const script = join(compiled, 'bench/runtime-cache.js');
    const runs = [
      { label: 'node defaults', flags: [] },
      { label: `operator flags (${OPERATOR_NODE_FLAGS.join(' ')})`, flags: OPERATOR_NODE_FLAGS },
    ].map((run) => ({ ...run, r: measureIn(script, kubeconfig, run.flags) }));
    const first = runs[0]?.r;
    if (!first || first.objects < objects) {
      throw new Error(`only ${first?.objects} of ${objects} objects in the cache`);
    }
    console.log(`informer cache of ${first.objects} NotebookValidationJobs (compiled JS)`);
    console.log(`  list + sync:       ${(first.syncMs / 1000).toFixed(2)} s`);
    console.log(`  RSS before start:  ${mb(first.rssBefore)}`);
    console.log(`  heap per object:   ~${first.heapPerObject} bytes`);
    for (const { label, r } of runs) {
      console.log(`  ${label}: RSS ${mb(r.rss)}, heap ${mb(r.heapUsed)} of ${mb(r.heapTotal)}`);
    }
    const target = runs[1]?.r.rss ?? Infinity;
    const verdict = target <= TARGET_RSS_BYTES ? 'met' : 'MISSED';
    console.log(`  target RSS <= ${mb(TARGET_RSS_BYTES)} with operator flags: ${verdict}`);
    if (target > TARGET_RSS_BYTES) process.exitCode = 1;
  } finally {
    rmSync(compiled, { recursive: true, force: true });
    if (controlPlane) {
      await controlPlane.stop();
      rmSync(controlPlane.stateDir, { recursive: true, force: true });
    }
  }
}

if (values.measure) await measure(values.kubeconfig ?? '');
else await main();
