// HTTP to the apiserver with the credentials of a Connection. Bodies stay plain JSON as the
// apiserver sends them: client-node's typed (de)serialisers drop fields they do not know (CRD
// schemas lose enum/default/x-kubernetes-*) and turn timestamps into Dates. Requests reuse
// keep-alive connections; watches get a raw response stream.
import http from 'node:http';
import https from 'node:https';
import type { Connection, RequestAuth } from './connection.ts';
import { KubeApiError, type ApiStatus } from './errors.ts';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Starts with /api or /apis. */
  path: string;
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  /** Defaults to application/json; patches name their type here. */
  contentType?: string;
  /** Whole-request limit for everything but streams. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export class KubeTransport {
  readonly connection: Connection;
  readonly timeoutMs: number;
  #server: string;
  #agent: https.Agent | undefined;
  /** The auth #agent was made with. */
  #agentAuth: RequestAuth | undefined;
  #plainAgent = new http.Agent({ keepAlive: true });

  constructor(connection: Connection, options: { timeoutMs?: number } = {}) {
    this.connection = connection;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#server = connection.server.replace(/\/+$/, '');
  }

  /** Sends a request and parses the JSON answer; non-2xx answers throw KubeApiError. */
  async json<T>(request: RequestOptions): Promise<T> {
    return JSON.parse(await this.text(request)) as T;
  }

  /** Sends a request and returns the answer's body as text (pod logs). */
  async text(request: RequestOptions): Promise<string> {
    const timeout = AbortSignal.timeout(request.timeoutMs ?? this.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const response = await this.#send(request, signal);
    return readBody(response, describe(request));
  }

  /**
   * Opens a streaming GET (a watch) with no overall time limit; the caller reads the response and
   * aborts `signal` to end it. Non-200 answers throw KubeApiError.
   */
  stream(request: RequestOptions & { signal: AbortSignal }): Promise<http.IncomingMessage> {
    return this.#send({ ...request, method: 'GET' }, request.signal);
  }

  /** Closes idle keep-alive connections, so that a stopped process can exit promptly. */
  close(): void {
    this.#agent?.destroy();
    this.#agent = undefined;
    this.#plainAgent.destroy();
    this.#plainAgent = new http.Agent({ keepAlive: true });
  }

  async #send(request: RequestOptions, signal: AbortSignal): Promise<http.IncomingMessage> {
    const what = describe(request);
    const auth = await this.connection.auth();
    const url = new URL(this.#server + request.path);
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
    const headers: http.OutgoingHttpHeaders = { ...auth.headers, Accept: 'application/json' };
    if (payload !== undefined) {
      headers['Content-Type'] = request.contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    const plain = url.protocol === 'http:';
    const options: https.RequestOptions = {
      method: request.method ?? 'GET',
      headers,
      signal,
      agent: plain ? this.#plainAgent : this.#tlsAgent(auth),
    };
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = (plain ? http.request : https.request)(url, options);
      req.on('response', resolve);
      req.on('error', (err) => reject(requestError(what, err, signal)));
      req.end(payload);
    });
    const code = response.statusCode ?? 0;
    if (code >= 200 && code < 300) return response;
    const body = await readBody(response, what);
    throw new KubeApiError(what, code, parseStatus(body), body);
  }

  /** One keep-alive agent while the TLS material stays the same (new after a rotation). */
  #tlsAgent(auth: RequestAuth): https.Agent {
    const last = this.#agentAuth;
    const same =
      last !== undefined &&
      sameMaterial(auth.ca, last.ca) &&
      sameMaterial(auth.cert, last.cert) &&
      sameMaterial(auth.key, last.key);
    if (!this.#agent || !same) {
      this.#agent?.destroy();
      this.#agentAuth = auth;
      this.#agent = new https.Agent({
        ca: auth.ca,
        cert: auth.cert,
        key: auth.key,
        servername: auth.servername,
        rejectUnauthorized: auth.rejectUnauthorized,
        keepAlive: true,
        scheduling: 'lifo',
      });
    }
    return this.#agent;
  }
}

/**
 * Identity first: connections hand out the same objects until the material rotates. Otherwise
 * (client-node's KubeConfig decodes anew per call) Buffers are compared in place, uncopied.
 */
function sameMaterial(a: Buffer | string | undefined, b: Buffer | string | undefined): boolean {
  if (a === b) return true;
  // Strings equal in value are === already.
  if (a === undefined || b === undefined || typeof a === 'string' || typeof b === 'string') {
    return false;
  }
  return a.equals(b);
}

function describe(request: RequestOptions): string {
  return `${request.method ?? 'GET'} ${request.path}`;
}

function requestError(what: string, err: Error, signal: AbortSignal): Error {
  if (
    signal.aborted &&
    signal.reason instanceof DOMException &&
    signal.reason.name === 'TimeoutError'
  ) {
    return new Error(`${what}: timed out`, { cause: err });
  }
  return new Error(`${what}: ${err.message}`, { cause: err });
}

/** The body as text, decoded chunk by chunk: no concatenated copy of a large list in Buffers. */
async function readBody(response: http.IncomingMessage, what: string): Promise<string> {
  response.setEncoding('utf8');
  let body = '';
  try {
    for await (const chunk of response) body += chunk as string;
  } catch (err) {
    throw new Error(`${what}: reading the answer failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return body;
}

function parseStatus(body: string): ApiStatus | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && (parsed as ApiStatus).kind === 'Status') {
      return parsed as ApiStatus;
    }
  } catch {
    // Not JSON (a proxy's HTML error page, say): the raw body goes into the message.
  }
  return undefined;
}
