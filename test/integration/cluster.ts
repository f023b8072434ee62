// Helpers for integration tests against the control plane that global-setup.ts started.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import {
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  type V1Container,
  type V1Pod,
  type V1PodSecurityContext,
  type V1PolicyRule,
} from '@kubernetes/client-node';
import {
  COMPLETE_ANNOTATION,
  completeAnnotation,
  type ContainerResult,
} from '../../src/dev/controlplane/index.ts';

export { KWOK_NODE_NAME, type ContainerResult } from '../../src/dev/controlplane/index.ts';

function fromEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run integration tests with \`npm test\` (or node --test ` +
        '--test-global-setup=test/integration/global-setup.ts), which starts the control plane',
    );
  }
  return value;
}

export function kubeconfigPath(): string {
  return fromEnv('NBV_TEST_KUBECONFIG');
}

export interface KubeConfigOptions {
  /** Reach the apiserver at this URL instead (a proxy in front of it). */
  server?: string;
  /** Authenticate with this token instead of the admin's client certificate. */
  user?: { name: string; token: string };
}

/**
 * A client configuration for the control plane's admin user (group system:masters), or with
 * `options` a copy that goes through another server URL or authenticates as another user.
 */
export function kubeConfig(options: KubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  if (!options.server && !options.user) return kc;
  const cluster = kc.getCurrentCluster();
  const user = options.user ?? kc.getCurrentUser();
  if (!cluster || !user) throw new Error('the admin kubeconfig has no current cluster or user');
  const copy = new KubeConfig();
  copy.loadFromOptions({
    clusters: [{ ...cluster, server: options.server ?? cluster.server }],
    users: [user],
    contexts: [{ name: 'test', cluster: cluster.name, user: user.name }],
    currentContext: 'test',
  });
  return copy;
}

let adminCore: CoreV1Api | undefined;
const core = (): CoreV1Api => (adminCore ??= kubeConfig().makeApiClient(CoreV1Api));

export class KubectlError extends Error {
  readonly code: number | null;
  readonly stderr: string;
  constructor(args: string[], code: number | null, stderr: string) {
    super(`kubectl ${args.join(' ')} failed (exit ${code}): ${stderr.trim()}`);
    this.code = code;
    this.stderr = stderr;
  }
}

/** Runs the control plane's own kubectl as admin; resolves with stdout, rejects with KubectlError. */
export function kubectl(args: string[], input?: string): Promise<string> {
  const kubeconfig = kubeconfigPath();
  const fullArgs = [
    `--kubeconfig=${kubeconfig}`,
    `--cache-dir=${join(dirname(kubeconfig), 'kubectl-cache')}`,
    ...args,
  ];
  return new Promise((resolve, reject) => {
    const child = execFile(fromEnv('NBV_TEST_KUBECTL'), fullArgs, (err, stdout, stderr) => {
      if (err) reject(new KubectlError(args, child.exitCode, stderr || err.message));
      else resolve(stdout);
    });
    child.stdin?.end(input);
  });
}

/**
 * Polls `fn` until it returns a value other than undefined/false and returns it. Errors thrown
 * by `fn` count as "not yet"; the last one is in the timeout message.
 */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Creates a namespace that enforces the `restricted` Pod Security Standard and waits for its
 * `default` ServiceAccount, without which no pod can be created in it.
 */
export async function freshNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await core().createNamespace({
    body: {
      metadata: {
        name,
        labels: {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        },
      },
    },
  });
  await waitFor(
    () => core().readNamespacedServiceAccount({ name: 'default', namespace: name }),
    30_000,
    `ServiceAccount ${name}/default`,
  );
  return name;
}

/** The pods of `namespace` that match `labelSelector`, as admin. */
export async function listPods(namespace: string, labelSelector: string): Promise<V1Pod[]> {
  return (await core().listNamespacedPod({ namespace, labelSelector })).items;
}

/** The names of the pods of `namespace` that match `labelSelector`, sorted. */
export async function podNames(namespace: string, labelSelector: string): Promise<string[]> {
  return (await listPods(namespace, labelSelector)).map((p) => p.metadata?.name ?? '').sort();
}

/** Creates ServiceAccount `name` in `namespace` and returns a token the apiserver issued for it. */
export async function serviceAccountToken(namespace: string, name: string): Promise<string> {
  await kubectl(['create', 'serviceaccount', name, '-n', namespace]);
  return (await kubectl(['create', 'token', name, '-n', namespace])).trim();
}

/** Lets ServiceAccount `account` do what `rules` allow in its namespace: a Role and its binding. */
export async function grant(
  namespace: string,
  account: string,
  rules: V1PolicyRule[],
): Promise<void> {
  const rbac = kubeConfig().makeApiClient(RbacAuthorizationV1Api);
  const name = `${account}-grant`;
  await rbac.createNamespacedRole({ namespace, body: { metadata: { name }, rules } });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name: account, namespace }],
    },
  });
}

/** Finishes a pod on the kwok node: each named container terminates with its exit code and message. */
export async function completePod(
  namespace: string,
  name: string,
  results: Record<string, ContainerResult>,
): Promise<void> {
  const annotation = `${COMPLETE_ANNOTATION}=${completeAnnotation(results)}`;
  await kubectl(['annotate', '--overwrite', '-n', namespace, `pod/${name}`, annotation]);
}

/** Pod-level settings that, with restrictedContainer(), pass the `restricted` standard. */
export const RESTRICTED_POD_SECURITY: V1PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: 1000,
  seccompProfile: { type: 'RuntimeDefault' },
};

export function restrictedContainer(name: string, extra: Partial<V1Container> = {}): V1Container {
  return {
    name,
    image: 'registry.invalid/nbv/never-pulled:1',
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    ...extra,
  };
}
