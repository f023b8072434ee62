// Starts a real Kubernetes control plane as local processes on loopback ports chosen at run time:
// etcd -> kube-apiserver -> kube-controller-manager, kube-scheduler and kwok, each one waited for
// by polling its health endpoint. The result is what integration tests and `nbv dev cluster`
// talk to: a kubeconfig for an admin user, and a fake Ready node on which pods "run".
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBinaries, type Binaries } from './build.ts';
import { ControlPlaneError } from './errors.ts';
import { isHealthy, request, type TlsFiles } from './http.ts';
import { KWOK_NODE_ANNOTATION, KWOK_NODE_NAME, kwokConfig } from './kwok-stages.ts';
import { adminTls, ensurePki, writeKubeconfig, type Pki } from './pki.ts';
import { Component, assertPortFree, freePorts, waitUntilReady } from './process.ts';

/**
 * The kube-controller-manager controllers nbv's behaviour depends on (envtest runs none):
 * Jobs and their pods, garbage collection, namespaces, PV/PVC binding and protection, and the
 * Deployment -> ReplicaSet -> Pod chain behind an InferenceService. serviceaccount-controller gives
 * each namespace the `default` ServiceAccount without which no pod can be created.
 */
export const CONTROLLERS = [
  'job-controller',
  'garbage-collector-controller',
  'namespace-controller',
  'persistentvolume-binder-controller',
  'persistentvolumeclaim-protection-controller',
  'persistentvolume-protection-controller',
  'ttl-after-finished-controller',
  'deployment-controller',
  'replicaset-controller',
  'serviceaccount-controller',
  'root-ca-certificate-publisher-controller',
];

export interface ComponentInfo {
  name: string;
  pid: number;
  logPath: string;
  /** 200 when the component is healthy; https ones are checked with the admin TLS files. */
  healthUrl: string;
}

export interface ControlPlane {
  stateDir: string;
  kubeconfigPath: string;
  server: string;
  /** gitVersion from the apiserver's /version. */
  version: string;
  nodeName: string;
  binaries: Binaries;
  tls: TlsFiles;
  components: ComponentInfo[];
  /** Resolves with a description (and log tail) if a component exits while nobody stops it. */
  crashed: Promise<string>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Where certificates, data and logs go; a fresh temporary folder when absent. */
  stateDir?: string;
  /** Fixed apiserver port (checked to be free); a free one when absent. */
  apiserverPort?: number;
  binaries?: Binaries;
  log?: (line: string) => void;
}

export async function startControlPlane(options: StartOptions = {}): Promise<ControlPlane> {
  const log = options.log ?? (() => {});
  const binaries = options.binaries ?? (await ensureBinaries({ log }));
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'nbv-controlplane-'));
  const logs = join(stateDir, 'logs');
  mkdirSync(logs, { recursive: true });
  if (options.apiserverPort !== undefined) {
    await assertPortFree(options.apiserverPort, 'start kube-apiserver');
  }
  const pki = await ensurePki(join(stateDir, 'pki'));
  const tls = adminTls(pki);
  const kubeconfigPath = join(stateDir, 'kubeconfig');

  const ports = await freePorts(['etcd', 'peer', 'apiserver', 'kcm', 'scheduler', 'kwok'] as const);
  const apiPort = options.apiserverPort ?? ports.apiserver;
  const server = `https://127.0.0.1:${apiPort}`;

  const started: Running[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // Reverse order: clients first, etcd last, so nothing logs errors about a missing server.
      for (const { component } of [...started].reverse()) await component.stop();
    })());
  const launch = (name: string, binary: string, args: string[], healthUrl: string): Running => {
    const running = {
      component: new Component(name, binary, args, join(logs, `${name}.log`)),
      healthUrl,
    };
    started.push(running);
    return running;
  };
  const healthy = ({ component, healthUrl }: Running, timeoutMs?: number): Promise<void> =>
    waitUntilReady(component, `healthy ${healthUrl}`, () => isHealthy(healthUrl, tls), timeoutMs);

  try {
    const t0 = Date.now();
    const etcdUrl = `http://127.0.0.1:${ports.etcd}`;
    await healthy(
      launch(
        'etcd',
        binaries.path.etcd,
        etcdArgs(join(stateDir, 'etcd'), ports.etcd, ports.peer),
        `${etcdUrl}/health`,
      ),
    );
    log(`etcd ready on ${etcdUrl} (${elapsed(t0)})`);

    await healthy(
      launch(
        'kube-apiserver',
        binaries.path['kube-apiserver'],
        apiserverArgs(pki, apiPort, etcdUrl),
        `${server}/readyz`,
      ),
      120_000,
    );
    writeKubeconfig(kubeconfigPath, server, pki);
    log(`kube-apiserver ready on ${server} (${elapsed(t0)})`);

    const kwokConfigPath = join(stateDir, 'kwok.yaml');
    writeFileSync(kwokConfigPath, kwokConfig());
    const kcm = launch(
      'kube-controller-manager',
      binaries.path['kube-controller-manager'],
      controllerManagerArgs(pki, kubeconfigPath, ports.kcm, join(stateDir, 'kcm')),
      `https://127.0.0.1:${ports.kcm}/healthz`,
    );
    const scheduler = launch(
      'kube-scheduler',
      binaries.path['kube-scheduler'],
      componentArgs(pki, kubeconfigPath, ports.scheduler),
      `https://127.0.0.1:${ports.scheduler}/healthz`,
    );
    const kwok = launch(
      'kwok',
      binaries.path.kwok,
      kwokArgs(kubeconfigPath, kwokConfigPath, ports.kwok),
      `http://127.0.0.1:${ports.kwok}/healthz`,
    );
    await Promise.all([kcm, scheduler, kwok].map((running) => healthy(running)));
    log(`kube-controller-manager, kube-scheduler and kwok healthy (${elapsed(t0)})`);

    await createFakeNode(server, tls);
    await waitUntilReady(kwok.component, `node ${KWOK_NODE_NAME} Ready`, () =>
      nodeReady(server, tls),
    );
    // The serviceaccount controller works once `default` has its ServiceAccount.
    await waitUntilReady(kcm.component, 'ServiceAccount default/default', () =>
      isHealthy(`${server}/api/v1/namespaces/default/serviceaccounts/default`, tls),
    );
    const version = await serverVersion(server, tls);
    log(`control plane ${version} ready in ${elapsed(t0)} (state in ${stateDir})`);

    return {
      stateDir,
      kubeconfigPath,
      server,
      version,
      nodeName: KWOK_NODE_NAME,
      binaries,
      tls,
      components: started.map(({ component, healthUrl }) => ({
        name: component.name,
        pid: component.pid,
        logPath: component.logPath,
        healthUrl,
      })),
      crashed: Promise.race(started.map(({ component }) => crashOf(component))),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

interface Running {
  component: Component;
  healthUrl: string;
}

/** Settles only if the component exits without having been asked to stop. */
async function crashOf(component: Component): Promise<string> {
  await component.exited;
  if (!component.crashed) await new Promise<never>(() => {});
  return component.describeExit();
}

function elapsed(t0: number): string {
  return `${((Date.now() - t0) / 1000).toFixed(1)}s`;
}

function etcdArgs(dataDir: string, port: number, peerPort: number): string[] {
  const client = `http://127.0.0.1:${port}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    '--name=nbv',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=nbv=${peer}`,
    // A throwaway cluster: durability is not worth an fsync per write.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

/** HTTPS on loopback with the shared serving certificate, as every component serves. */
function servingArgs(pki: Pki, port: number): string[] {
  return [
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--tls-cert-file=${pki.servingCert}`,
    `--tls-private-key-file=${pki.servingKey}`,
  ];
}

function apiserverArgs(pki: Pki, port: number, etcdUrl: string): string[] {
  return [
    ...servingArgs(pki, port),
    `--etcd-servers=${etcdUrl}`,
    '--advertise-address=127.0.0.1',
    `--client-ca-file=${pki.caCert}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    '--authorization-mode=RBAC',
    // Added to the default set; listed so that what the tests rely on is visible here.
    '--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,PodSecurity,MutatingAdmissionWebhook,ValidatingAdmissionWebhook',
    // It taints new nodes not-ready until node-lifecycle-controller, which is not run here,
    // sees them Ready; kwok's node would never lose the taint.
    '--disable-admission-plugins=TaintNodesByCondition',
    // Privileged pods pass validation, so that Pod Security admission is what rejects them.
    '--allow-privileged=true',
    // There is no routable address to put into the `kubernetes` Service's endpoints.
    '--endpoint-reconciler-type=none',
    '--profiling=false',
  ];
}

/** Serving and delegated-auth flags of kube-controller-manager, and all of kube-scheduler's. */
function componentArgs(pki: Pki, kubeconfig: string, port: number): string[] {
  return [
    ...servingArgs(pki, port),
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    // The apiserver has no front-proxy CA to publish; do not go looking for one.
    '--authentication-skip-lookup=true',
    '--leader-elect=false',
  ];
}

function controllerManagerArgs(
  pki: Pki,
  kubeconfig: string,
  port: number,
  certDir: string,
): string[] {
  return [
    ...componentArgs(pki, kubeconfig, port),
    `--cert-dir=${certDir}`,
    `--controllers=${CONTROLLERS.join(',')}`,
    `--root-ca-file=${pki.caCert}`,
  ];
}

function kwokArgs(kubeconfig: string, config: string, port: number): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--config=${config}`,
    '--manage-all-nodes=false',
    `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
    `--server-address=127.0.0.1:${port}`,
    '--node-ip=10.240.0.1',
    '--cidr=10.244.0.0/16',
  ];
}

async function createFakeNode(server: string, tls: TlsFiles): Promise<void> {
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: KWOK_NODE_NAME,
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake' },
      labels: {
        'kubernetes.io/hostname': KWOK_NODE_NAME,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
  };
  const res = await request(`${server}/api/v1/nodes`, { method: 'POST', body: node, tls });
  // 409: a dev cluster restarted on its old etcd data already has the node.
  if (res.status !== 201 && res.status !== 409) {
    throw new ControlPlaneError('create the kwok node', `HTTP ${res.status}: ${res.body}`);
  }
}

async function nodeReady(server: string, tls: TlsFiles): Promise<boolean> {
  const res = await request(`${server}/api/v1/nodes/${KWOK_NODE_NAME}`, { tls });
  if (res.status !== 200) return false;
  const node = JSON.parse(res.body) as {
    status?: { conditions?: { type: string; status: string }[] };
  };
  return Boolean(node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
}

async function serverVersion(server: string, tls: TlsFiles): Promise<string> {
  const res = await request(`${server}/version`, { tls });
  return (JSON.parse(res.body) as { gitVersion: string }).gitVersion;
}
