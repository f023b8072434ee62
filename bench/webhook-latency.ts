// Benchmark: the admission webhook under the load of a busy apiserver. Starts the webhook server
// in this process (a fresh CA and serving certificate for 127.0.0.1), then a client in a worker
// thread, so that it does not share the server's event loop (the apiserver is another process),
// POSTs AdmissionReview v1 requests at a fixed rate over HTTPS keep-alive, alternating /validate
// and /mutate, each carrying the NotebookValidationJob of the volumes sample. Open loop: a request
// is sent every 1000/rate ms whether or not the earlier ones have been answered.
//
// Three figures, after a warm-up:
//   end to end    client side, from the request being issued to the whole answer read;
//   server side   from the server's request event to its response being finished (the
//                 http.server.* diagnostics channels), during the same run;
//   handler       what the server does between reading a body and writing the answer (parse the
//                 review, validateReview/mutateReview, serialise the answer), timed directly on
//                 the same reviews at the same rate in this process, with no HTTP around it.
// Target: handler p99 < 2 ms.
//
// Run: node bench/webhook-latency.ts [--rate N] [--seconds N] [--warmup N]
import { randomUUID } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { Registry, type Histogram } from 'prom-client';
import { parseAllDocuments } from 'yaml';
import {
  mutateReview,
  validateReview,
  type AdmissionReview,
} from '../src/webhook/admission-review.ts';
import { certHolder } from '../src/webhook/certs.ts';
import { MUTATE_PATH, VALIDATE_PATH } from '../src/webhook/configurations.ts';
import { parseReview, startWebhookServer } from '../src/webhook/server.ts';
import { createCertificateAuthority, issueServingCertificate } from '../src/webhook/x509.ts';
import { percentile } from './lib/stats.ts';

export const TARGET_HANDLER_P99_MS = 2;

const UID = '@@UID@@';
const PATHS = [VALIDATE_PATH, MUTATE_PATH] as const;

interface ClientJob {
  port: number;
  caPem: string;
  /** Review bodies with UID where the request's uid goes, one per path in PATHS. */
  templates: string[];
  /** Absolute time (performance.timeOrigin + now) of the first request. */
  startAt: number;
  intervalMs: number;
  count: number;
}

interface ClientResult {
  /** Per request: scheduled absolute time, issue lag behind schedule and latency (ms). */
  scheduled: number[];
  lagMs: number[];
  latencyMs: number[];
  errors: string[];
  connections: number;
}

const now = (): number => performance.timeOrigin + performance.now();

const ms = (value: number): string => `${value.toFixed(2)} ms`;
const figures = (values: readonly number[]): string =>
  `p50 ${ms(percentile(values, 50))}, p99 ${ms(percentile(values, 99))}, ` +
  `max ${ms(Math.max(...values))} (${values.length} requests)`;

/** Calls `fire(i, scheduledAt)` for i = 0..count-1 at startAt + i * intervalMs, never waiting on it. */
function openLoop(
  startAt: number,
  intervalMs: number,
  count: number,
  fire: (i: number, scheduledAt: number) => void,
): Promise<void> {
  return new Promise((resolve) => {
    let i = 0;
    const tick = (): void => {
      const t = now();
      while (i < count && startAt + i * intervalMs <= t) {
        fire(i, startAt + i * intervalMs);
        i++;
      }
      if (i >= count) resolve();
      else setTimeout(tick, Math.max(0, startAt + i * intervalMs - now()));
    };
    setTimeout(tick, Math.max(0, startAt - now()));
  });
}

/** The worker thread: drives the server and posts a ClientResult back. */
async function client(job: ClientJob): Promise<ClientResult> {
  const agent = new https.Agent({ keepAlive: true, ca: job.caPem });
  const sockets = new Set<unknown>();
  const result: ClientResult = {
    scheduled: [],
    lagMs: [],
    latencyMs: [],
    errors: [],
    connections: 0,
  };
  let pending = 0;
  let drained: (() => void) | undefined;
  const done = (): void => {
    pending--;
    if (pending === 0) drained?.();
  };
  await openLoop(job.startAt, job.intervalMs, job.count, (i, scheduledAt) => {
    const path = PATHS[i % PATHS.length] ?? VALIDATE_PATH;
    const body = (job.templates[i % job.templates.length] ?? '').replace(UID, randomUUID());
    pending++;
    const issued = now();
    const req = https.request(
      {
        host: '127.0.0.1',
        port: job.port,
        method: 'POST',
        path,
        agent,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const latency = now() - issued;
          const text = Buffer.concat(chunks).toString('utf8');
          const answer = res.statusCode === 200 ? (JSON.parse(text) as AdmissionReview) : undefined;
          if (answer?.response?.allowed !== true) {
            result.errors.push(`${path}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
          } else {
            result.scheduled.push(scheduledAt);
            result.lagMs.push(issued - scheduledAt);
            result.latencyMs.push(latency);
          }
          done();
        });
      },
    );
    req.on('socket', (socket) => sockets.add(socket));
    req.on('error', (err) => {
      result.errors.push(`${path}: ${err.message}`);
      done();
    });
    req.end(body);
  });
  if (pending > 0) await new Promise<void>((resolve) => (drained = resolve));
  result.connections = sockets.size;
  agent.destroy();
  return result;
}

/** A review as the apiserver sends it for `kubectl apply` creating `object`. */
function reviewTemplate(object: Record<string, unknown>): string {
  const metadata = (object.metadata ?? {}) as Record<string, unknown>;
  const namespace = 'bench-webhook';
  const admitted = {
    ...object,
    metadata: {
      ...metadata,
      namespace,
      uid: '3f1c2a8e-5b7d-4e0a-9c61-2d8f4b7a9e10',
      generation: 1,
      creationTimestamp: '2026-01-01T00:00:00Z',
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(object)}\n`,
      },
      managedFields: [
        {
          manager: 'kubectl-client-side-apply',
          operation: 'Update',
          apiVersion: 'mlops.mlops.dev/v1alpha1',
          time: '2026-01-01T00:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:spec': { '.': {}, 'f:notebook': {}, 'f:podConfig': {}, 'f:timeout': {} } },
        },
      ],
    },
  };
  const gvk = { group: 'mlops.mlops.dev', version: 'v1alpha1', kind: 'NotebookValidationJob' };
  const gvr = { group: 'mlops.mlops.dev', version: 'v1alpha1', resource: 'notebookvalidationjobs' };
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: UID,
      kind: gvk,
      resource: gvr,
      requestKind: gvk,
      requestResource: gvr,
      name: metadata.name,
      namespace,
      operation: 'CREATE',
      userInfo: {
        username: 'kubernetes-admin',
        groups: ['kubeadm:cluster-admins', 'system:authenticated'],
      },
      object: admitted,
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: 'kubectl' },
    },
  });
}

/** The server's own histogram: how many requests fell within its first bucket. */
async function histogramSummary(registry: Registry): Promise<string> {
  const metric = registry.getSingleMetric('controller_runtime_webhook_latency_seconds') as
    Histogram | undefined;
  if (!metric) return 'no histogram';
  const { values } = await metric.get();
  const parts: string[] = [];
  for (const path of PATHS) {
    const mine = values.filter((v) => v.labels.webhook === path);
    const count = mine.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    const first = mine
      .filter((v) => v.metricName?.endsWith('_bucket') && v.labels.le !== '+Inf')
      .sort((a, b) => Number(a.labels.le) - Number(b.labels.le))[0];
    const share = count > 0 ? (100 * (first?.value ?? 0)) / count : 0;
    parts.push(`${path} ${share.toFixed(1)}% of ${count} <= ${Number(first?.labels.le) * 1000} ms`);
  }
  return parts.join(', ');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '15' },
      warmup: { type: 'string', default: '2' },
    },
  });
  const rate = Number(values.rate);
  const warmupMs = Number(values.warmup) * 1000;
  const intervalMs = 1000 / rate;
  const count = Math.round(((warmupMs + Number(values.seconds) * 1000) * rate) / 1000);

  const sampleFile = join(
    import.meta.dirname,
    '../../shared/reference/nvj-operator/samples/mlops_v1alpha1_notebookvalidationjob_volumes.yaml',
  );
  const object = parseAllDocuments(readFileSync(sampleFile, 'utf8'))
    .map((doc) => doc.toJS() as Record<string, unknown> | null)
    .find((doc) => doc?.kind === 'NotebookValidationJob');
  if (!object) throw new Error(`no NotebookValidationJob in ${sampleFile}`);
  const template = reviewTemplate(object);
  const templates = PATHS.map(() => template);

  const ca = createCertificateAuthority({ validityDays: 1 });
  const serving = issueServingCertificate(ca, {
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    validityDays: 1,
  });
  const registry = new Registry();
  const server = await startWebhookServer({
    port: 0,
    host: '127.0.0.1',
    certSource: certHolder(serving),
    registry,
  });

  // Server-side timing of the very requests the client sends.
  const started = new WeakMap<ServerResponse, number>();
  const serverSide: { at: number; ms: number }[] = [];
  const onStart = (message: unknown): void => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    if (request.url === VALIDATE_PATH || request.url === MUTATE_PATH) started.set(response, now());
  };
  const onFinish = (message: unknown): void => {
    const { response } = message as { response: ServerResponse };
    const at = started.get(response);
    if (at !== undefined) serverSide.push({ at, ms: now() - at });
  };
  subscribe('http.server.request.start', onStart);
  subscribe('http.server.response.finish', onFinish);

  let clientResult: ClientResult;
  let startAt = 0;
  try {
    const worker = new Worker(new URL(import.meta.url));
    clientResult = await new Promise<ClientResult>((resolve, reject) => {
      worker.on('message', (message: 'ready' | ClientResult) => {
        if (message !== 'ready') return resolve(message);
        // The worker has loaded its modules: the schedule starts now, not while it was loading.
        startAt = now() + 100;
        const job: ClientJob = {
          ...{ port: server.port, caPem: ca.certPem, templates },
          ...{ startAt, intervalMs, count },
        };
        worker.postMessage(job);
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the client worker exited (${code})`)));
    });
    await worker.terminate();
  } finally {
    await server.close();
  }
  const measuredFrom = startAt + warmupMs;
  const e2e = clientResult.latencyMs.filter(
    (_, i) => (clientResult.scheduled[i] ?? 0) >= measuredFrom,
  );
  const lag = clientResult.lagMs.filter((_, i) => (clientResult.scheduled[i] ?? 0) >= measuredFrom);
  const serverMs = serverSide.filter((s) => s.at >= measuredFrom).map((s) => s.ms);
  const histogram = await histogramSummary(registry);

  // The handler alone, on the same reviews at the same rate, after the HTTP run.
  const handlerMs: number[] = [];
  const reviews = [validateReview, mutateReview];
  const directStart = now() + 100;
  let sink = 0;
  await openLoop(directStart, intervalMs, count, (i, scheduledAt) => {
    const body = (templates[i % templates.length] ?? '').replace(UID, randomUUID());
    const review = reviews[i % reviews.length] ?? validateReview;
    const t = performance.now();
    const parsed = parseReview(body);
    if (typeof parsed === 'string') throw new Error(parsed);
    sink += JSON.stringify(review(parsed)).length;
    const elapsed = performance.now() - t;
    if (scheduledAt >= directStart + warmupMs) handlerMs.push(elapsed);
  });
  if (sink === 0) throw new Error('no answers');

  const seconds = (count * intervalMs - warmupMs) / 1000;
  console.log(
    `webhook latency: ${rate} requests/s open loop for ${seconds.toFixed(0)} s after ${warmupMs / 1000} s warm-up, ` +
      `/validate and /mutate alternating, review body ${(Buffer.byteLength(template) / 1024).toFixed(1)} KiB, ` +
      `HTTPS keep-alive (${clientResult.connections} connection${clientResult.connections === 1 ? '' : 's'})`,
  );
  console.log(`  end to end (client):      ${figures(e2e)}`);
  console.log(`  server side (request to response finished): ${figures(serverMs)}`);
  console.log(
    `  handler (parse + review + serialise): ${figures(handlerMs)}; target p99 < ${TARGET_HANDLER_P99_MS} ms: ` +
      (percentile(handlerMs, 99) < TARGET_HANDLER_P99_MS ? 'met' : 'MISSED'),
  );
  console.log(`  client send lag behind schedule: p99 ${ms(percentile(lag, 99))}`);
  console.log(`  server histogram (all requests, warm-up too): ${histogram}`);
  if (clientResult.errors.length > 0) {
    console.log(`  ${clientResult.errors.length} failed requests, e.g. ${clientResult.errors[0]}`);
  }
}

if (isMainThread) await main();
else {
  parentPort?.once('message', (job: ClientJob) => {
    void client(job).then((result) => parentPort?.postMessage(result));
  });
  parentPort?.postMessage('ready');
}
