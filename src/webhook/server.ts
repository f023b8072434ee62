// The admission webhook's HTTPS server: POST /validate and /mutate take an AdmissionReview v1
// and answer one (admission-review.ts does the deciding), GET /healthz answers "ok". The
// certificate comes from a CertSource and is swapped in place when it changes: connections
// already open keep theirs, new ones get the new certificate.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../runtime/log.ts';
import { silentLogger } from '../runtime/log.ts';
import { mutateReview, respond, validateReview, type AdmissionReview } from './admission-review.ts';
import type { CertSource, ServingCertificate } from './certs.ts';
import { MUTATE_PATH, VALIDATE_PATH } from './configurations.ts';

/**
 * The apiserver takes requests up to 3 MiB, and an UPDATE's review carries the object twice
 * (object and oldObject): controller-runtime's limit, 7 MiB, covers that.
 */
const DEFAULT_MAX_BODY_BYTES = 7 * 1024 * 1024;

export interface WebhookServerOptions {
  port: number;
  /** Default: every interface. */
  host?: string;
  certSource: CertSource;
  log?: Logger;
  /** Where to register the request metrics; none: no metrics. */
  registry?: Registry;
  maxBodyBytes?: number;
}

export interface WebhookServer {
  /** The port listened on (the real one when 0 was asked for). */
  port: number;
  /** New connections get this certificate; the CertSource calls it by itself on changes. */
  setSecureContext(cert: ServingCertificate): void;
  close(): Promise<void>;
}

const REVIEWS: Record<string, (review: AdmissionReview) => AdmissionReview> = {
  [VALIDATE_PATH]: validateReview,
  [MUTATE_PATH]: mutateReview,
};

// controller-runtime's webhook metrics, names, labels and buckets, so that its dashboards fit.
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface WebhookMetrics {
  latency: Histogram<'webhook'>;
  requests: Counter<'webhook' | 'code'>;
  inFlight: Gauge<'webhook'>;
}

function webhookMetrics(registry: Registry): WebhookMetrics {
  // A second server on the same registry shares the metrics rather than failing to register.
  const existing = <T>(name: string): T | undefined =>
    registry.getSingleMetric(name) as T | undefined;
  const registers = [registry];
  return {
    latency:
      existing('controller_runtime_webhook_latency_seconds') ??
      new Histogram({
        name: 'controller_runtime_webhook_latency_seconds',
        help: 'Histogram of the latency of processing admission requests',
        labelNames: ['webhook'],
        buckets: LATENCY_BUCKETS,
        registers,
      }),
    requests:
      existing('controller_runtime_webhook_requests_total') ??
      new Counter({
        name: 'controller_runtime_webhook_requests_total',
        help: 'Total number of admission requests by HTTP status code.',
        labelNames: ['webhook', 'code'],
        registers,
      }),
    inFlight:
      existing('controller_runtime_webhook_requests_in_flight') ??
      new Gauge({
        name: 'controller_runtime_webhook_requests_in_flight',
        help: 'Current number of admission requests being served.',
        labelNames: ['webhook'],
        registers,
      }),
  };
}

function tlsOptions(cert: ServingCertificate): https.ServerOptions {
  // TLS 1.2 and up: what the apiserver speaks, and what current guidance allows.
  return { cert: cert.certPem, key: cert.keyPem, minVersion: 'TLSv1.2' };
}

function send(res: ServerResponse, code: number, body: string, contentType = 'text/plain'): void {
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** The review in `body`, or the reason it is not one. */
export function parseReview(body: string): AdmissionReview | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    return `request body is not JSON: ${errorMessage(err)}`;
  }
  const review = parsed as Partial<AdmissionReview> | null;
  if (
    typeof review !== 'object' ||
    review === null ||
    review.apiVersion !== 'admission.k8s.io/v1' ||
    review.kind !== 'AdmissionReview'
  ) {
    return 'request body is not an admission.k8s.io/v1 AdmissionReview';
  }
  if (typeof review.request?.uid !== 'string') return 'AdmissionReview has no request.uid';
  return review as AdmissionReview;
}

/** Reads the body up to `limit` bytes; undefined when it is longer. */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks, size).toString('utf8')));
    req.on('error', reject);
    // A client gone mid-body: settle, so that nothing waits (or counts as in flight) forever.
    req.on('close', () => reject(new Error('request closed before its body ended')));
  });
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const log = options.log ?? silentLogger;
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const metrics = options.registry ? webhookMetrics(options.registry) : undefined;

  async function admission(
    path: string,
    review: (r: AdmissionReview) => AdmissionReview,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<number> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      send(res, 405, `${req.method ?? ''} not allowed: POST an AdmissionReview\n`);
      return 405;
    }
    const type = req.headers['content-type'];
    if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
      send(res, 415, `content type ${type} not supported: send application/json\n`);
      return 415;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    const body = declared > limit ? undefined : await readBody(req, limit);
    if (body === undefined) {
      // The rest of the body is not read: close the connection rather than drain it.
      res.setHeader('Connection', 'close');
      send(res, 413, `request body larger than ${limit} bytes\n`);
      return 413;
    }
    const parsed = parseReview(body);
    if (typeof parsed === 'string') {
      send(res, 400, `${parsed}\n`);
      return 400;
    }
    let answer: AdmissionReview;
    try {
      answer = review(parsed);
    } catch (err) {
      // A bug, not a verdict: deny with the reason rather than an opaque HTTP error.
      log.error({ err, webhook: path, uid: parsed.request?.uid }, 'admission review failed');
      const message = `internal error: ${errorMessage(err)}`;
      answer = respond(parsed, { allowed: false, status: { code: 500, message } });
    }
    send(res, 200, JSON.stringify(answer), 'application/json');
    if (log.isLevelEnabled('debug')) {
      const request = parsed.request;
      const object = (request?.object ?? request?.oldObject) as
        { kind?: string; metadata?: { name?: string; namespace?: string } } | undefined;
      log.debug(
        {
          webhook: path,
          uid: request?.uid,
          operation: request?.operation,
          kind: object?.kind,
          namespace: object?.metadata?.namespace,
          name: object?.metadata?.name,
          allowed: answer.response?.allowed,
          patched: answer.response?.patch !== undefined,
        },
        'admission',
      );
    }
    return 200;
  }

  const server = https.createServer(tlsOptions(options.certSource.current()), (req, res) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const review = REVIEWS[path];
    if (!review) {
      if (path !== '/healthz') send(res, 404, 'not found\n');
      else if (req.method === 'GET' || req.method === 'HEAD') send(res, 200, 'ok\n');
      else send(res, 405, 'GET only\n');
      return;
    }
    const started = performance.now();
    metrics?.inFlight.inc({ webhook: path });
    admission(path, review, req, res)
      .catch((err: unknown) => {
        log.warn({ err, webhook: path }, 'webhook request failed');
        if (!res.headersSent) send(res, 500, 'internal error\n');
        return 500;
      })
      .then((code) => {
        if (!metrics) return;
        metrics.inFlight.dec({ webhook: path });
        metrics.requests.inc({ webhook: path, code: String(code) });
        metrics.latency.observe({ webhook: path }, (performance.now() - started) / 1000);
      });
  });
  // Longer than Go's 90 s idle timeout, so the apiserver closes idle connections first and never
  // sends a review into one this side is closing.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.on('tlsClientError', (err) => log.debug({ err }, 'TLS handshake failed'));

  const setSecureContext = (cert: ServingCertificate): void => {
    server.setSecureContext(tlsOptions(cert));
  };
  const unsubscribe = options.certSource.subscribe((cert) => {
    setSecureContext(cert);
    log.info('webhook server certificate replaced');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ port, host: options.host }, 'webhook server listening');

  return {
    port,
    setSecureContext,
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
