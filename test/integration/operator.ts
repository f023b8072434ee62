// The real operator for integration tests: `nbv operator` as a child process, authenticated as
// the ServiceAccount of the generated RBAC (installManifests(), which is what `nbv install
// --print` prints, as install.test.ts checks), never as admin. Its webhook serves self-signed
// certificates on loopback; the test (as admin) registers the webhook configurations at that
// URL, scoped to labelled namespaces, and the operator fills their caBundle.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { allCustomResourceDefinitions, crdYaml } from '../../src/api/crd.ts';
import { freePorts } from '../../src/dev/controlplane/process.ts';
import { installManifests } from '../../src/install/manifests.ts';
import { VALIDATING_WEBHOOK_NAME } from '../../src/install/rbac.ts';
import { buildWebhookConfigurations } from '../../src/webhook/configurations.ts';
import { kubeconfigPath, kubectl, waitFor } from './cluster.ts';

export const OPERATOR_NAMESPACE = 'nbv-system';
export const OPERATOR_SERVICE_ACCOUNT = 'nbv-operator';
/** Namespaces with this label go through the test operator's webhooks. */
export const WEBHOOK_LABEL = 'nbv.dev/test-webhook';
const REPO = join(import.meta.dirname, '..', '..');
const RBAC_KINDS = new Set([
  'Namespace',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
]);

let identity: Promise<string> | undefined;

/** The CustomResourceDefinitions, as `nbv crds` prints them (generated in process: no spawn). */
export async function applyCrds(): Promise<void> {
  await kubectl(
    ['apply', '--server-side', '--force-conflicts', '-f', '-'],
    allCustomResourceDefinitions().map(crdYaml).join(''),
  );
}

/**
 * A kubeconfig for the operator's own ServiceAccount, with the generated ClusterRole, Role and
 * bindings applied (once per test process).
 */
export function operatorKubeconfig(): Promise<string> {
  identity ??= (async () => {
    const rbac = installManifests({ namespace: OPERATOR_NAMESPACE }).filter((o) =>
      RBAC_KINDS.has(o.kind),
    );
    if (!rbac.some((o) => o.kind === 'ClusterRole'))
      throw new Error('the install manifests have no ClusterRole');
    await kubectl(
      ['apply', '--server-side', '--force-conflicts', '-f', '-'],
      rbac.map((o) => `---\n${stringify(o)}`).join(''),
    );
    const token = (
      await kubectl([
        'create',
        'token',
        OPERATOR_SERVICE_ACCOUNT,
        '-n',
        OPERATOR_NAMESPACE,
        '--duration=3h',
      ])
    ).trim();
    const admin = parse(readFileSync(kubeconfigPath(), 'utf8')) as {
      clusters: { name: string; cluster: Record<string, string> }[];
    };
    const cluster = admin.clusters[0];
    if (!cluster) throw new Error('the admin kubeconfig has no cluster');
    const file = join(mkdtempSync(join(tmpdir(), 'nbv-operator-')), 'kubeconfig');
    writeFileSync(
      file,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'test', cluster: cluster.cluster }],
        users: [{ name: 'operator', user: { token } }],
        contexts: [{ name: 'operator', context: { cluster: 'test', user: 'operator' } }],
        'current-context': 'operator',
      }),
    );
    return file;
  })();
  return identity;
}

/** The apiserver's URL in the operator's kubeconfig. */
export function apiserverUrl(kubeconfig: string): URL {
  const config = parse(readFileSync(kubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string } }[];
  };
  return new URL(config.clusters[0]?.cluster.server ?? '');
}

/** A copy of `kubeconfig` that reaches the cluster at `server`. */
function withServer(kubeconfig: string, server: string): string {
  const config = parse(readFileSync(kubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string } }[];
  };
  for (const c of config.clusters) c.cluster.server = server;
  const file = join(mkdtempSync(join(tmpdir(), 'nbv-operator-')), 'kubeconfig');
  writeFileSync(file, stringify(config));
  return file;
}

export async function freePort(): Promise<number> {
  return (await freePorts(['port'])).port;
}

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

export class OperatorProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[] = [];
  readonly healthPort: number;
  readonly webhookPort: number;
  readonly exited: Promise<number | null>;
  #stderr = '';

  readonly #unregister: () => Promise<void>;

  constructor(
    child: ChildProcess,
    ports: { health: number; webhook: number },
    unregister: () => Promise<void>,
  ) {
    this.child = child;
    this.#unregister = unregister;
    this.healthPort = ports.health;
    this.webhookPort = ports.webhook;
    let partial = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.logs.push({ level: 'raw', msg: line });
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** The log so far, for assertion messages. */
  describe(): string {
    return [...this.logs.map((l) => JSON.stringify(l)), this.#stderr].join('\n').slice(-6000);
  }

  async ready(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        if (this.child.exitCode !== null)
          throw new Error(`operator exited ${this.child.exitCode}: ${this.describe()}`);
        const res = await fetch(`http://127.0.0.1:${this.healthPort}/readyz`);
        return res.ok;
      },
      timeoutMs,
      'operator /readyz',
    );
  }

  /** Stops the process; with `unregister`, also removes the webhook configurations. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', unregister = true): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const code = await this.exited;
    if (unregister) await this.#unregister();
    return code;
  }
}

export interface StartOptions {
  /** Extra flags, e.g. --leader-elect. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Identity in the logs and the Lease. */
  name?: string;
  /** Reach the apiserver at this URL instead (a proxy in front of it). */
  server?: string;
  /** Serve the webhook and register it (as an installation would, before the operator starts). */
  webhook?: boolean;
}

/**
 * Starts `nbv operator` under the generated role and waits until it is ready (and, with the
 * webhook, until the apiserver can call it).
 */
export async function startOperator(options: StartOptions = {}): Promise<OperatorProcess> {
  const kubeconfig = options.server
    ? withServer(await operatorKubeconfig(), options.server)
    : await operatorKubeconfig();
  const health = await freePort();
  const webhook = options.webhook === false ? -1 : await freePort();
  const unregister = webhook >= 0 ? await registerWebhooks(webhook) : async () => {};
  const child = spawn(
    process.execPath,
    [
      join(REPO, 'bin', 'nbv.js'),
      'operator',
      '--kubeconfig',
      kubeconfig,
      '--bind-address',
      '127.0.0.1',
      '--metrics-port',
      String(health),
      '--health-port',
      String(health),
      // One argument: a separate "-1" would read as a flag.
      `--webhook-port=${webhook}`,
      ...(webhook >= 0 ? ['--self-signed-certs', '--webhook-service', '127.0.0.1'] : []),
      ...(options.args ?? []),
    ],
    {
      cwd: REPO,
      env: {
        ...process.env,
        POD_NAMESPACE: OPERATOR_NAMESPACE,
        POD_NAME: options.name ?? 'nbv-operator-test',
        NBV_LOG_LEVEL: 'debug',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const operator = new OperatorProcess(child, { health, webhook }, unregister);
  try {
    await operator.ready();
    // The operator fills in the caBundle; until then the apiserver cannot call the webhook.
    if (webhook >= 0) await caBundleSet();
  } catch (err) {
    await operator.stop('SIGKILL');
    throw err;
  }
  return operator;
}

async function caBundleSet(): Promise<void> {
  await waitFor(
    async () =>
      (
        await kubectl([
          'get',
          'validatingwebhookconfiguration',
          VALIDATING_WEBHOOK_NAME,
          '-o',
          'jsonpath={.webhooks[*].clientConfig.caBundle}',
        ])
      ).trim().length > 0,
    30_000,
    'caBundle set by the operator',
  );
}

/**
 * Points the webhook configurations at `operator` for namespaces labelled WEBHOOK_LABEL (as
 * admin, as an installation would); the operator fills in caBundle. Returns the cleanup.
 */
export async function registerWebhooks(port: number): Promise<() => Promise<void>> {
  const { validating, mutating } = buildWebhookConfigurations({
    clientConfig: { url: `https://127.0.0.1:${port}` },
    namespaceSelector: { matchLabels: { [WEBHOOK_LABEL]: 'true' } },
    objectSelector: { matchLabels: { [WEBHOOK_LABEL]: 'true' } },
  });
  const text = [validating, mutating].map((o) => `---\n${stringify(o)}`).join('');
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], text);
  return async () => {
    await kubectl(['delete', '--ignore-not-found', '-f', '-'], text);
  };
}
