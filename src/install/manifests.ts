// The objects that install nbv in a cluster, as data: `nbv install --print`, the kustomize bases
// under config/ and (by a test of equivalence) the Helm chart all come from installManifests().
// Pure: no client, no I/O.
import { isIP } from 'node:net';
import { allCustomResourceDefinitions } from '../api/crd.ts';
import { DEFAULT_IMAGES } from '../builders/images.ts';
import { DEFAULT_METADATA_JOB_SETTINGS } from '../builders/metadata-job.ts';
import { buildWebhookConfigurations, type LabelSelector } from '../webhook/configurations.ts';
import { CLUSTER_RULES, NAMESPACE_RULES, WEBHOOK_CERT_SECRET, type PolicyRule } from './rbac.ts';

export type CertMode = 'self-signed' | 'cert-manager';

/** Quantities by resource name (cpu, memory, ephemeral-storage). */
export type ResourceList = Record<string, string>;

export interface InstallOptions {
  /** Where the operator runs; its Lease and (self-signed) certificate Secret live here. */
  namespace: string;
  /** Render the Namespace object (Helm leaves it to `--create-namespace`). */
  createNamespace: boolean;
  /** Render the CustomResourceDefinitions. */
  crds: boolean;
  /** The nbv image: the operator, the report step and the metadata Job. */
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** An image with git and a POSIX shell: the validation pod's clone steps. */
  gitImage: string;
  replicas: number;
  resources: { requests: ResourceList; limits: ResourceList };
  /** Watch only this namespace; '' watches all. */
  watchNamespace: string;
  metadataJob: {
    backoffLimit: number;
    activeDeadlineSeconds: number;
    ttlSecondsAfterFinished: number;
  };
  /** The admission webhooks (validation and defaulting). */
  webhook: boolean;
  certMode: CertMode;
  /**
   * Development: the apiserver calls the webhooks at this https:// base URL (an operator
   * running outside the cluster) instead of the webhook Service.
   */
  webhookUrl?: string;
  /** A prometheus-operator ServiceMonitor for the metrics Service. */
  serviceMonitor: boolean;
}

export const DEFAULT_INSTALL_OPTIONS: InstallOptions = {
  namespace: 'nbv-system',
  createNamespace: true,
  crds: true,
  image: DEFAULT_IMAGES.nbv,
  imagePullPolicy: 'IfNotPresent',
  gitImage: DEFAULT_IMAGES.git,
  replicas: 2,
  resources: {
    requests: { cpu: '100m', memory: '128Mi' },
    limits: { cpu: '1', memory: '512Mi' },
  },
  watchNamespace: '',
  metadataJob: { ...DEFAULT_METADATA_JOB_SETTINGS },
  webhook: true,
  certMode: 'self-signed',
  serviceMonitor: false,
};

// Names of the objects, fixed so that RBAC resourceNames, probes and docs can rely on them.
export const OPERATOR_NAME = 'nbv-operator';
export const WEBHOOK_SERVICE = 'nbv-webhook';
export const METRICS_SERVICE = 'nbv-metrics';
export const CERT_ISSUER = 'nbv-selfsigned-issuer';
export const CERTIFICATE = 'nbv-serving-cert';
export const CERT_DIR = '/etc/nbv/webhook-certs';
export const OPERATOR_CONTAINER = 'operator';
export const PORTS = { metrics: 8080, health: 8081, webhook: 9443 } as const;
// The image's non-root user (Dockerfile: USER 1000:1000).
const IMAGE_USER = 1000;

/** A Kubernetes object as rendered: apiVersion, kind, metadata and the rest. */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** Labels of everything the install creates; `component` tells the parts apart. */
export function installLabels(component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'nbv',
    'app.kubernetes.io/part-of': 'nbv',
    'app.kubernetes.io/component': component,
  };
}

/** The operator pods' labels, also the selector of the Deployment and the Services. */
export function operatorSelector(): Record<string, string> {
  return { 'app.kubernetes.io/name': 'nbv', 'app.kubernetes.io/component': 'operator' };
}

export function resolveInstallOptions(options: Partial<InstallOptions> = {}): InstallOptions {
  const merged = { ...DEFAULT_INSTALL_OPTIONS, ...stripUndefined(options) };
  if (!Number.isInteger(merged.replicas) || merged.replicas < 0)
    throw new Error(`replicas must be a non-negative integer, not ${merged.replicas}`);
  if (merged.certMode !== 'self-signed' && merged.certMode !== 'cert-manager')
    throw new Error(`certMode must be self-signed or cert-manager, not ${String(merged.certMode)}`);
  return merged;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * RBAC rules as rendered: without `why`; the self-signed-certificate rules last (the Helm chart
 * appends them from a file of their own) and only when needed.
 */
export function renderRules(
  rules: readonly PolicyRule[],
  selfSignedCerts: boolean,
): Record<string, string[]>[] {
  const always = rules.filter((rule) => !rule.selfSignedCertsOnly);
  const extra = selfSignedCerts ? rules.filter((rule) => rule.selfSignedCertsOnly) : [];
  return [...always, ...extra].map((rule) => ({
    apiGroups: rule.apiGroups,
    resources: rule.resources,
    ...(rule.resourceNames ? { resourceNames: rule.resourceNames } : {}),
    verbs: rule.verbs,
  }));
}

/** Every object of an install, in the order to apply them. */
export function installManifests(partial: Partial<InstallOptions> = {}): ManifestObject[] {
  const o = resolveInstallOptions(partial);
  const ns = o.namespace;
  const selfSigned = o.webhook && o.certMode === 'self-signed';
  const certManager = o.webhook && o.certMode === 'cert-manager';
  const objects: ManifestObject[] = [];

  if (o.createNamespace) objects.push(namespaceObject(ns));
  if (o.crds) objects.push(...(allCustomResourceDefinitions() as unknown as ManifestObject[]));

  const rbac = installLabels('rbac');
  const subject = { kind: 'ServiceAccount', name: OPERATOR_NAME, namespace: ns };
  objects.push(
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: OPERATOR_NAME, namespace: ns, labels: rbac },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: OPERATOR_NAME, labels: rbac },
      rules: renderRules(CLUSTER_RULES, selfSigned),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: OPERATOR_NAME, labels: rbac },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: OPERATOR_NAME },
      subjects: [subject],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: OPERATOR_NAME, namespace: ns, labels: rbac },
      rules: renderRules(NAMESPACE_RULES, selfSigned),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: OPERATOR_NAME, namespace: ns, labels: rbac },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: OPERATOR_NAME },
      subjects: [subject],
    },
  );

  if (certManager) objects.push(...certManagerObjects(o));
  objects.push(
    operatorService(ns, METRICS_SERVICE, 'metrics', { name: 'metrics', port: PORTS.metrics }),
  );
  if (o.webhook && !o.webhookUrl)
    objects.push(operatorService(ns, WEBHOOK_SERVICE, 'webhook', { name: 'webhook', port: 443 }));
  objects.push(deployment(o, certManager));
  // With one replica a disruption budget would block node drains for good.
  if (o.replicas > 1) objects.push(disruptionBudget(ns));
  if (o.webhook) objects.push(...webhookConfigurations(o, certManager));
  if (o.serviceMonitor) objects.push(serviceMonitor(ns));
  return objects;
}

function namespaceObject(name: string): ManifestObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        ...installLabels('operator'),
        // The operator's pods pass the restricted standard; the namespace holds them to it.
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
      },
    },
  };
}

/** DNS names the webhook is reached at: the Service's, or the development URL's host. */
function webhookHosts(o: InstallOptions): string[] {
  if (o.webhookUrl) return [new URL(o.webhookUrl).hostname.replace(/^\[|\]$/g, '')];
  return [
    `${WEBHOOK_SERVICE}.${o.namespace}.svc`,
    `${WEBHOOK_SERVICE}.${o.namespace}.svc.cluster.local`,
  ];
}

function certManagerObjects(o: InstallOptions): ManifestObject[] {
  const labels = installLabels('webhook');
  const hosts = webhookHosts(o);
  const dnsNames = hosts.filter((h) => isIP(h) === 0);
  const ipAddresses = hosts.filter((h) => isIP(h) !== 0);
  return [
    {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Issuer',
      metadata: { name: CERT_ISSUER, namespace: o.namespace, labels },
      spec: { selfSigned: {} },
    },
    {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: CERTIFICATE, namespace: o.namespace, labels },
      spec: {
        secretName: WEBHOOK_CERT_SECRET,
        ...(dnsNames.length > 0 ? { dnsNames } : {}),
        ...(ipAddresses.length > 0 ? { ipAddresses } : {}),
        issuerRef: { kind: 'Issuer', name: CERT_ISSUER },
      },
    },
  ];
}

/** A Service in front of the operator pods' named port (metrics, webhook). */
function operatorService(
  ns: string,
  name: string,
  component: string,
  port: { name: string; port: number },
): ManifestObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels: installLabels(component) },
    spec: {
      selector: operatorSelector(),
      ports: [{ ...port, targetPort: port.name, protocol: 'TCP' }],
    },
  };
}

/** The `nbv operator` flags for these options (see src/cli/commands/operator.ts). */
export function operatorArgs(o: InstallOptions): string[] {
  const args = [
    'operator',
    '--leader-elect',
    `--metrics-port=${PORTS.metrics}`,
    `--health-port=${PORTS.health}`,
  ];
  if (o.watchNamespace) args.push(`--namespace=${o.watchNamespace}`);
  if (!o.webhook) return [...args, '--webhook-port=-1'];
  args.push(`--webhook-port=${PORTS.webhook}`);
  if (o.certMode === 'cert-manager') return [...args, `--cert-dir=${CERT_DIR}`];
  return [...args, '--self-signed-certs', `--webhook-service=${webhookHosts(o).join(',')}`];
}

export const OPERATOR_NODE_OPTIONS = '--max-semi-space-size=2';

function deployment(o: InstallOptions, certManager: boolean): ManifestObject {
  const selector = operatorSelector();
  const fieldEnv = (name: string, fieldPath: string) => ({
    name,
    valueFrom: { fieldRef: { fieldPath } },
  });
  const env = [
    fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
    fieldEnv('POD_NAME', 'metadata.name'),
    // Small young generation: a third less RSS at 10,000 jobs (npm run bench).
    { name: 'NODE_OPTIONS', value: OPERATOR_NODE_OPTIONS },
    { name: 'NBV_IMAGE', value: o.image },
    { name: 'NBV_GIT_IMAGE', value: o.gitImage },
    { name: 'NBV_METADATA_JOB_BACKOFF_LIMIT', value: String(o.metadataJob.backoffLimit) },
    {
      name: 'NBV_METADATA_JOB_DEADLINE_SECONDS',
      value: String(o.metadataJob.activeDeadlineSeconds),
    },
    { name: 'NBV_METADATA_JOB_TTL_SECONDS', value: String(o.metadataJob.ttlSecondsAfterFinished) },
  ];
  const ports = [
    { name: 'metrics', containerPort: PORTS.metrics, protocol: 'TCP' },
    { name: 'health', containerPort: PORTS.health, protocol: 'TCP' },
    ...(o.webhook ? [{ name: 'webhook', containerPort: PORTS.webhook, protocol: 'TCP' }] : []),
  ];
  // The root filesystem is read-only; Node.js and libraries may still want a scratch /tmp.
  const volumeMounts: object[] = [{ name: 'tmp', mountPath: '/tmp' }];
  const volumes: object[] = [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }];
  if (certManager) {
    volumeMounts.push({ name: 'webhook-certs', mountPath: CERT_DIR, readOnly: true });
    volumes.push({ name: 'webhook-certs', secret: { secretName: WEBHOOK_CERT_SECRET } });
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: OPERATOR_NAME, namespace: o.namespace, labels: installLabels('operator') },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: { ...installLabels('operator'), ...selector },
          annotations: { 'kubectl.kubernetes.io/default-container': OPERATOR_CONTAINER },
        },
        spec: {
          serviceAccountName: OPERATOR_NAME,
          // The operator talks to the API server with its ServiceAccount's token.
          automountServiceAccountToken: true,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: IMAGE_USER,
            runAsGroup: IMAGE_USER,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          // Replicas on different nodes: a node failure leaves a standby and a webhook server.
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: selector },
            },
          ],
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: OPERATOR_CONTAINER,
              image: o.image,
              imagePullPolicy: o.imagePullPolicy,
              args: operatorArgs(o),
              env,
              ports,
              livenessProbe: {
                httpGet: { path: '/healthz', port: 'health' },
                initialDelaySeconds: 15,
                periodSeconds: 20,
              },
              readinessProbe: {
                httpGet: { path: '/readyz', port: 'health' },
                initialDelaySeconds: 5,
                periodSeconds: 10,
              },
              resources: o.resources,
              securityContext: {
                runAsNonRoot: true,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts,
            },
          ],
          volumes,
        },
      },
    },
  };
}

function disruptionBudget(ns: string): ManifestObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: OPERATOR_NAME, namespace: ns, labels: installLabels('operator') },
    // The webhooks fail closed: keep one server up through voluntary disruptions.
    spec: { minAvailable: 1, selector: { matchLabels: operatorSelector() } },
  };
}

function webhookConfigurations(o: InstallOptions, certManager: boolean): ManifestObject[] {
  // Scoped to the watched namespace: objects elsewhere are not nbv's business.
  const namespaceSelector: LabelSelector | undefined = o.watchNamespace
    ? { matchLabels: { 'kubernetes.io/metadata.name': o.watchNamespace } }
    : undefined;
  const { validating, mutating } = buildWebhookConfigurations({
    clientConfig: o.webhookUrl
      ? { url: o.webhookUrl }
      : { service: { namespace: o.namespace, name: WEBHOOK_SERVICE, port: 443 } },
    ...(namespaceSelector ? { namespaceSelector } : {}),
    labels: installLabels('webhook'),
    // cert-manager's cainjector fills caBundle; with self-signed certificates the operator does.
    ...(certManager
      ? { annotations: { 'cert-manager.io/inject-ca-from': `${o.namespace}/${CERTIFICATE}` } }
      : {}),
  });
  return [validating, mutating] as unknown as ManifestObject[];
}

function serviceMonitor(ns: string): ManifestObject {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: OPERATOR_NAME, namespace: ns, labels: installLabels('metrics') },
    spec: {
      selector: { matchLabels: installLabels('metrics') },
      namespaceSelector: { matchNames: [ns] },
      // notebookvalidationjob_* metrics carry the job's `namespace` label: keep it rather than
      // have it renamed to exported_namespace by the target's own namespace label.
      endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s', honorLabels: true }],
    },
  };
}
