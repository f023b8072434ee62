import assert from 'node:assert/strict';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { AdmissionReview } from './admission-review.ts';
import { certHolder } from './certs.ts';
import { newBundle } from './self-managed.ts';
import { startWebhookServer, type WebhookServer } from './server.ts';

const names = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityDays: 1 };
const first = newBundle(names, undefined, new Date());
const holder = certHolder(first);
const registry = new Registry();
const LIMIT = 64 * 1024;
let server: WebhookServer;

before(async () => {
  server = await startWebhookServer({
    port: 0,
    host: '127.0.0.1',
    certSource: holder,
    registry,
    maxBodyBytes: LIMIT,
  });
});
after(() => server.close());

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function call(
  options: { method?: string; path?: string; headers?: Record<string, string>; ca?: string },
  body?: string | Buffer[],
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: server.port,
        method: options.method ?? 'POST',
        path: options.path ?? '/validate',
        ca: options.ca ?? first.caPem,
        agent: false,
        headers: { 'content-type': 'application/json', ...options.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }),
        );
      },
    );
    req.on('error', reject);
    if (Array.isArray(body)) {
      // Chunked, no Content-Length: the limit must hold while reading.
      for (const chunk of body) req.write(chunk);
      req.end();
    } else req.end(body);
  });
}

const job = {
  apiVersion: 'mlops.mlops.dev/v1alpha1',
  kind: 'NotebookValidationJob',
  metadata: { name: 'j', namespace: 'n' },
  spec: {
    notebook: { git: { url: 'https://example.com/r.git', ref: 'main' }, path: 'a.ipynb' },
    podConfig: { containerImage: 'img' },
  },
};
const review = (object: unknown): string =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 'u-1', operation: 'CREATE', object },
  });

describe('webhook server', () => {
  it('answers validation and mutation reviews', async () => {
    const valid = await call({}, review(job));
    assert.equal(valid.status, 200);
    assert.match(String(valid.headers['content-type']), /^application\/json/);
    assert.deepEqual((JSON.parse(valid.body) as AdmissionReview).response, {
      uid: 'u-1',
      allowed: true,
    });

    const invalid = await call({}, review({ ...job, spec: { ...job.spec, timeout: 'soon' } }));
    const denied = (JSON.parse(invalid.body) as AdmissionReview).response;
    assert.equal(denied?.allowed, false);
    assert.match(denied?.status?.message ?? '', /spec\.timeout/);

    const mutated = await call({ path: '/mutate' }, review(job));
    const patch = (JSON.parse(mutated.body) as AdmissionReview).response;
    assert.equal(patch?.patchType, 'JSONPatch');
    assert.match(Buffer.from(patch?.patch ?? '', 'base64').toString(), /"\/spec\/timeout"/);
  });

  it('answers 400 to what is not an AdmissionReview', async () => {
    const bad = await call({}, '{"apiVersion": ');
    assert.equal(bad.status, 400);
    assert.match(bad.body, /^request body is not JSON: /);
    const other = await call({}, JSON.stringify({ apiVersion: 'v1', kind: 'Pod' }));
    assert.equal(other.status, 400);
    assert.match(other.body, /not an admission.k8s.io\/v1 AdmissionReview/);
    const noUid = await call(
      {},
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {} }),
    );
    assert.equal(noUid.status, 400);
    assert.match(noUid.body, /no request.uid/);
  });

  it('answers 405 to other methods, 404 to other paths, 415 to other content types', async () => {
    const get = await call({ method: 'GET' });
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
    assert.equal((await call({ path: '/nope' }, '{}')).status, 404);
    assert.equal((await call({ path: '/healthz', method: 'POST' }, '{}')).status, 405);
    const yaml = await call({ headers: { 'content-type': 'application/yaml' } }, 'a: b');
    assert.equal(yaml.status, 415);
  });

  it('answers 413 beyond the body limit, declared or streamed', async () => {
    const declared = await call({}, 'x'.repeat(LIMIT + 1));
    assert.equal(declared.status, 413);
    assert.equal(declared.headers.connection, 'close');
    const streamed = await call(
      {},
      Array.from({ length: 8 }, () => Buffer.alloc(LIMIT / 4, 0x20)),
    );
    assert.equal(streamed.status, 413);
    // At the limit exactly is fine (whitespace around JSON is JSON).
    const padded = review(job).padEnd(LIMIT, ' ');
    assert.equal((await call({}, padded)).status, 200);
  });

  it('serves /healthz', async () => {
    const health = await call({ method: 'GET', path: '/healthz' });
    assert.equal(health.status, 200);
    assert.equal(health.body, 'ok\n');
  });

  it('refuses TLS below 1.2', async () => {
    const handshake = (maxVersion: 'TLSv1.1' | 'TLSv1.2') =>
      new Promise<string | null>((resolve, reject) => {
        const req = https.request(
          {
            host: '127.0.0.1',
            port: server.port,
            path: '/healthz',
            ca: first.caPem,
            agent: false,
            maxVersion,
            minVersion: 'TLSv1',
            // Security level 0 lets this client offer TLS 1.1: the refusal must be the server's.
            ciphers: 'DEFAULT@SECLEVEL=0',
          },
          (res) => {
            res.resume();
            resolve((res.socket as TLSSocket).getProtocol());
          },
        );
        req.on('error', reject);
        req.end();
      });
    await assert.rejects(handshake('TLSv1.1'), /alert protocol version/);
    assert.equal(await handshake('TLSv1.2'), 'TLSv1.2');
  });

  it('serves a new certificate to new connections when the source changes', async () => {
    const second = newBundle(names, undefined, new Date());
    await assert.rejects(call({ method: 'GET', path: '/healthz', ca: second.caPem }));
    holder.set(second);
    assert.equal((await call({ method: 'GET', path: '/healthz', ca: second.caPem })).status, 200);
    await assert.rejects(call({ method: 'GET', path: '/healthz', ca: first.caPem }));
    holder.set(first);
  });

  it('settles a request whose client goes away mid-body', async () => {
    await new Promise<void>((resolve) => {
      const req = https.request({
        host: '127.0.0.1',
        port: server.port,
        method: 'POST',
        path: '/validate',
        ca: first.caPem,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': '1000' },
      });
      req.on('error', () => resolve());
      req.write('{"apiVersion":', () => setTimeout(() => req.destroy(), 20));
    });
    const inFlight = async () =>
      (await registry.getSingleMetricAsString('controller_runtime_webhook_requests_in_flight'))
        .split('\n')
        .find((line) => line.startsWith('controller_runtime_webhook_requests_in_flight{'));
    for (let i = 0; i < 50 && !(await inFlight())?.endsWith(' 0'); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.match((await inFlight()) ?? '', /\{webhook="\/validate"\} 0$/);
  });

  it('counts requests by webhook and code under controller-runtime names', async () => {
    const requests = await registry.getSingleMetricAsString(
      'controller_runtime_webhook_requests_total',
    );
    assert.match(
      requests,
      /controller_runtime_webhook_requests_total\{webhook="\/validate",code="200"\} [1-9]/,
    );
    assert.match(requests, /webhook="\/validate",code="400"\} 3/);
    assert.match(requests, /webhook="\/validate",code="413"\} 2/);
    const latency = await registry.getSingleMetricAsString(
      'controller_runtime_webhook_latency_seconds',
    );
    assert.match(
      latency,
      /controller_runtime_webhook_latency_seconds_count\{webhook="\/mutate"\} 1/,
    );
    const inFlight = await registry.getSingleMetricAsString(
      'controller_runtime_webhook_requests_in_flight',
    );
    assert.match(inFlight, /\{webhook="\/validate"\} 0/);
  });
});
