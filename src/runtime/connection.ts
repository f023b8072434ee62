// Where the apiserver is and how to authenticate to it: from a kubeconfig file, from the pod's
// service account, or from a client-node KubeConfig a caller already has. The operator process
// does not load @kubernetes/client-node itself: its generated API costs ~90 MB of RSS, more
// than half the memory budget of a cache of 10,000 jobs.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { isIPv6 } from 'node:net';
import { promisify } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';

/** TLS material and headers for one request. */
export interface RequestAuth {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
  headers: Record<string, string>;
}

export interface Connection {
  /** https://host:port of the apiserver. */
  readonly server: string;
  /** The current context's namespace, or the pod's own in a cluster. */
  readonly namespace?: string;
  /**
   * Called per request, so that rotating credentials (files, exec plugins) stay fresh. Hands out
   * the same ca/cert/key objects until they change: the transport then keeps its TLS connections
   * without comparing bytes.
   */
  auth(): Promise<RequestAuth>;
}

export const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
/** How long a credential file read stays in use; rotators replace files well before expiry. */
const FILE_TTL_MS = 60_000;

/**
 * The connection of, in order: an explicit kubeconfig file, $KUBECONFIG, ~/.kube/config, the
 * pod's service account. Never a silent default such as localhost:8080.
 */
export function loadConnection(
  options: { kubeconfig?: string; context?: string } = {},
): Connection {
  const files = options.kubeconfig
    ? [options.kubeconfig]
    : (process.env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  const home = join(homedir(), '.kube', 'config');
  if (files.length === 0 && existsSync(home)) files.push(home);
  if (files.length > 0) return fromKubeconfigFiles(files, options.context);
  if (process.env.KUBERNETES_SERVICE_HOST) return inCluster();
  throw new Error(
    'no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, ' +
      'or run in a pod',
  );
}

/** Adapts a client-node KubeConfig (tests and the CLI have one already). */
export function fromKubeConfig(kc: KubeConfig): Connection {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  if (cluster.proxyUrl) throw new Error(`cluster ${cluster.name}: proxy-url is not supported`);
  return {
    server: cluster.server,
    namespace: kc.getContextObject(kc.currentContext)?.namespace,
    async auth() {
      const o: {
        ca?: unknown;
        cert?: unknown;
        key?: unknown;
        rejectUnauthorized?: boolean;
        servername?: string;
        headers?: Record<string, string>;
      } = {};
      await kc.applyToHTTPSOptions(o);
      return {
        ca: o.ca as string | Buffer | undefined,
        cert: o.cert as string | Buffer | undefined,
        key: o.key as string | Buffer | undefined,
        rejectUnauthorized: o.rejectUnauthorized,
        servername: o.servername,
        headers: { ...o.headers },
      };
    },
  };
}

export function inCluster(root = SERVICE_ACCOUNT): Connection {
  const host = process.env.KUBERNETES_SERVICE_HOST ?? '';
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  const ca = fileContent(join(root, 'ca.crt'), (bytes) => bytes);
  ca(); // a missing CA fails here, not at the first request
  const token = tokenFile(join(root, 'token'));
  const nsFile = join(root, 'namespace');
  return {
    server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    namespace: existsSync(nsFile) ? readFileSync(nsFile, 'utf8').trim() : undefined,
    auth: async () => ({ ca: ca(), headers: { Authorization: `Bearer ${token()}` } }),
  };
}

// The parts of a kubeconfig this loader reads, as kubectl spells them.
interface NamedCluster {
  name: string;
  cluster: {
    server: string;
    'certificate-authority'?: string;
    'certificate-authority-data'?: string;
    'insecure-skip-tls-verify'?: boolean;
    'tls-server-name'?: string;
    'proxy-url'?: string;
  };
}
interface ExecConfig {
  apiVersion?: string;
  command: string;
  args?: string[];
  env?: { name: string; value: string }[] | null;
}
interface NamedUser {
  name: string;
  user: {
    'client-certificate'?: string;
    'client-certificate-data'?: string;
    'client-key'?: string;
    'client-key-data'?: string;
    token?: string;
    tokenFile?: string;
    username?: string;
    password?: string;
    exec?: ExecConfig;
    'auth-provider'?: { name?: string };
  };
}
interface NamedContext {
  name: string;
  context: { cluster: string; user: string; namespace?: string };
}
interface Kubeconfig {
  clusters?: NamedCluster[] | null;
  users?: NamedUser[] | null;
  contexts?: NamedContext[] | null;
  'current-context'?: string;
}

/** Reads and merges kubeconfig files as kubectl does: for each name, the first file wins. */
export function fromKubeconfigFiles(files: string[], context?: string): Connection {
  const clusters = new Map<string, { entry: NamedCluster; dir: string }>();
  const users = new Map<string, { entry: NamedUser; dir: string }>();
  const contexts = new Map<string, NamedContext>();
  let current: string | undefined;
  for (const file of files) {
    let config: Kubeconfig;
    try {
      config = (parse(readFileSync(file, 'utf8')) ?? {}) as Kubeconfig;
    } catch (err) {
      throw new Error(`kubeconfig ${file}: ${(err as Error).message}`, { cause: err });
    }
    const dir = dirname(file);
    for (const c of config.clusters ?? [])
      if (!clusters.has(c.name)) clusters.set(c.name, { entry: c, dir });
    for (const u of config.users ?? [])
      if (!users.has(u.name)) users.set(u.name, { entry: u, dir });
    for (const c of config.contexts ?? []) if (!contexts.has(c.name)) contexts.set(c.name, c);
    current ??= config['current-context'] || undefined;
  }
  const where = files.join(delimiter);
  const name = context ?? current;
  if (!name) throw new Error(`kubeconfig ${where}: no current-context`);
  const ctx = contexts.get(name)?.context;
  if (!ctx) throw new Error(`kubeconfig ${where}: no context named ${name}`);
  const cluster = clusters.get(ctx.cluster);
  if (!cluster) throw new Error(`kubeconfig ${where}: context ${name} names no known cluster`);
  const user = users.get(ctx.user);
  if (!user) throw new Error(`kubeconfig ${where}: context ${name} names no known user`);

  const c = cluster.entry.cluster;
  if (c['proxy-url']) throw new Error(`cluster ${cluster.entry.name}: proxy-url is not supported`);
  const ca = material(c['certificate-authority-data'], c['certificate-authority'], cluster.dir);
  const u = user.entry.user;
  if (u['auth-provider']) {
    throw new Error(
      `user ${user.entry.name}: auth-provider ${u['auth-provider'].name ?? ''} is not ` +
        'supported; use an exec credential plugin',
    );
  }
  const cert = material(u['client-certificate-data'], u['client-certificate'], user.dir);
  const key = material(u['client-key-data'], u['client-key'], user.dir);
  const token = u.tokenFile ? tokenFile(resolvePath(u.tokenFile, user.dir)) : undefined;
  const exec = u.exec ? execCredentials(u.exec, user.dir) : undefined;
  return {
    server: c.server,
    namespace: ctx.namespace,
    async auth() {
      const headers: Record<string, string> = {};
      const fromExec = await exec?.();
      const bearer = fromExec?.token ?? u.token ?? token?.();
      if (bearer) headers.Authorization = `Bearer ${bearer}`;
      else if (u.username) {
        const basic = Buffer.from(`${u.username}:${u.password ?? ''}`).toString('base64');
        headers.Authorization = `Basic ${basic}`;
      }
      return {
        ca: ca?.(),
        rejectUnauthorized: c['insecure-skip-tls-verify'] ? false : undefined,
        servername: c['tls-server-name'],
        cert: fromExec?.cert ?? cert?.(),
        key: fromExec?.key ?? key?.(),
        headers,
      };
    },
  };
}

function resolvePath(path: string, dir: string): string {
  return isAbsolute(path) ? path : join(dir, path);
}

/** Inline (base64) or file TLS material; files are read now, so that a bad path fails at load. */
function material(
  data: string | undefined,
  path: string | undefined,
  dir: string,
): (() => Buffer) | undefined {
  if (data) {
    const bytes = Buffer.from(data, 'base64');
    return () => bytes;
  }
  if (!path) return undefined;
  const read = fileContent(resolvePath(path, dir), (bytes) => bytes);
  read();
  return read;
}

/**
 * A file read again at most once a minute, so that rotated files (kubelet's projected tokens,
 * renewed certificates) are picked up; the same value while the bytes stay the same. A failed
 * re-read (a file being replaced) keeps the last value until the next try.
 */
function fileContent<T>(path: string, parse: (bytes: Buffer) => T): () => T {
  let last: { bytes: Buffer; value: T } | undefined;
  let readAt = -Infinity;
  return () => {
    if (last && performance.now() - readAt <= FILE_TTL_MS) return last.value;
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      if (!last) throw err;
      return last.value;
    }
    readAt = performance.now();
    if (!last?.bytes.equals(bytes)) last = { bytes, value: parse(bytes) };
    return last.value;
  };
}

const tokenFile = (path: string): (() => string) =>
  fileContent(path, (bytes) => bytes.toString('utf8').trim());

interface ExecResult {
  token?: string;
  cert?: string;
  key?: string;
}

/**
 * client.authentication.k8s.io exec plugins (cloud CLIs): run the command, read the
 * ExecCredential it prints, reuse it until its expirationTimestamp.
 */
function execCredentials(config: ExecConfig, dir: string): () => Promise<ExecResult> {
  let cached: { result: ExecResult; expires: number } | undefined;
  let pending: Promise<ExecResult> | undefined;
  const run = async (): Promise<ExecResult> => {
    const env = { ...process.env };
    for (const { name, value } of config.env ?? []) env[name] = value;
    // A relative command with a slash is relative to the kubeconfig, as kubectl resolves it.
    const command = config.command.includes('/')
      ? resolvePath(config.command, dir)
      : config.command;
    const { stdout } = await promisify(execFile)(command, config.args ?? [], {
      env,
      timeout: 60_000,
    });
    const credential = JSON.parse(stdout) as {
      status?: {
        token?: string;
        clientCertificateData?: string;
        clientKeyData?: string;
        expirationTimestamp?: string;
      };
    };
    const s = credential.status ?? {};
    const result = { token: s.token, cert: s.clientCertificateData, key: s.clientKeyData };
    const expires = s.expirationTimestamp ? Date.parse(s.expirationTimestamp) : Infinity;
    cached = { result, expires };
    return result;
  };
  return async () => {
    // Ten seconds early, so that a request never goes out with a token about to expire.
    if (cached && cached.expires - 10_000 > Date.now()) return cached.result;
    pending ??= run().finally(() => (pending = undefined));
    try {
      return await pending;
    } catch (err) {
      throw new Error(
        `exec credential plugin ${config.command} failed: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  };
}
