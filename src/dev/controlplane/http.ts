// A minimal HTTP(S) client for readiness probes and the few API calls the control plane makes
// itself (create the fake node, read /version). Node's fetch cannot present a client
// certificate without undici's Agent, and the Kubernetes client is more than these calls need.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

/** Files for mutual TLS against the control plane: CA bundle, client certificate and key. */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface HttpResponse {
  status: number;
  body: string;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  tls?: TlsFiles;
  timeoutMs?: number;
}

export function request(url: string, options: RequestOptions = {}): Promise<HttpResponse> {
  const { method = 'GET', body, tls, timeoutMs = 5000 } = options;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const secure = url.startsWith('https:');
  const tlsOptions: https.RequestOptions = tls
    ? { ca: readFileSync(tls.ca), cert: readFileSync(tls.cert), key: readFileSync(tls.key) }
    : {};
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(
      url,
      { method, headers, timeout: timeoutMs, ...(secure ? tlsOptions : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** True when `url` answers 200; any connection error counts as "not yet". */
export async function isHealthy(url: string, tls?: TlsFiles): Promise<boolean> {
  try {
    const res = await request(url, { tls, timeoutMs: 2000 });
    return res.status === 200;
  } catch {
    return false;
  }
}
