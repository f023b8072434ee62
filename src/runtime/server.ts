// The operator's HTTP endpoints: /healthz and /readyz for the kubelet's probes, /metrics for
// Prometheus. Like controller-runtime, metrics and probes can listen on different ports.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { errorMessage } from '../errors.ts';

/** A named check: true when fine, else false or the reason it is not. */
export type Check = () => boolean | string;

export interface Response {
  status: number;
  contentType: string;
  body: string;
}

export type Handler = () => Response | Promise<Response>;

export interface RunningServer {
  /** The port listened on (the real one when 0 was asked for). */
  port: number;
  close(): Promise<void>;
}

/** Answers 200 when every check passes, else 500; the body lists each check, as Kubernetes does. */
export function checksHandler(checks: Record<string, Check>): Handler {
  return () => {
    let ok = true;
    const lines = Object.entries(checks).map(([name, check]) => {
      let result: boolean | string;
      try {
        result = check();
      } catch (err) {
        result = errorMessage(err);
      }
      if (result === true) return `[+]${name} ok`;
      ok = false;
      return `[-]${name} failed${typeof result === 'string' ? `: ${result}` : ''}`;
    });
    lines.push(ok ? 'check passed' : 'check failed');
    return { status: ok ? 200 : 500, contentType: 'text/plain', body: `${lines.join('\n')}\n` };
  };
}

export function metricsHandler(registry: Registry): Handler {
  return async () => ({
    status: 200,
    contentType: registry.contentType,
    body: await registry.metrics(),
  });
}

/** Serves `routes` (exact paths, GET) on host:port. */
export async function startServer(options: {
  port: number;
  host?: string;
  routes: Record<string, Handler>;
}): Promise<RunningServer> {
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handler = options.routes[path];
    if (!handler || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res
        .writeHead(handler ? 405 : 404, { 'Content-Type': 'text/plain' })
        .end(handler ? 'method not allowed\n' : 'not found\n');
      return;
    }
    Promise.resolve()
      .then(handler)
      .then(
        (r) => res.writeHead(r.status, { 'Content-Type': r.contentType }).end(r.body),
        (err: unknown) =>
          res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${errorMessage(err)}\n`),
      );
  });
  // Probes must not hold the process open on shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
