// The ValidatingWebhookConfiguration and MutatingWebhookConfiguration objects, built in one place
// for every consumer: the install manifests (src/install), `nbv operator --register-webhooks`
// against a development cluster (register.ts), and the tests. Pure: no client, no I/O.
import { RESOURCES } from '../api/resources.ts';
import { MUTATING_WEBHOOK_NAME, VALIDATING_WEBHOOK_NAME } from '../install/rbac.ts';
import { resources } from '../runtime/resources.ts';

export const VALIDATE_PATH = '/validate';
export const MUTATE_PATH = '/mutate';
const VALIDATING_WEBHOOK_ENTRY = 'validate.nbv.mlops.dev';
const MUTATING_WEBHOOK_ENTRY = 'mutate.nbv.mlops.dev';

// In the runtime's table of built-in kinds, so that applying a configuration needs no discovery.
export const { validatingWebhookConfigurations, mutatingWebhookConfigurations } = resources;

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
}

/** Where the apiserver reaches the webhook server; the paths are added per webhook. */
export type WebhookEndpoint =
  /** A base URL, https://host:port (development: the operator outside the cluster). */
  | { url: string }
  /** The operator's Service in the cluster. */
  | { service: { namespace: string; name: string; port?: number } };

export interface RuleWithOperations {
  apiGroups: string[];
  apiVersions: string[];
  operations: ('CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT' | '*')[];
  resources: string[];
  scope: '*' | 'Cluster' | 'Namespaced';
}

export interface WebhookClientConfig {
  url?: string;
  service?: { namespace: string; name: string; port?: number; path: string };
  /** Base64 of the PEM CA bundle. */
  caBundle?: string;
}

export interface Webhook {
  name: string;
  clientConfig: WebhookClientConfig;
  rules: RuleWithOperations[];
  failurePolicy: 'Fail' | 'Ignore';
  matchPolicy: 'Exact' | 'Equivalent';
  sideEffects: 'None' | 'NoneOnDryRun';
  admissionReviewVersions: string[];
  timeoutSeconds: number;
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  /** Mutating webhooks only. */
  reinvocationPolicy?: 'Never' | 'IfNeeded';
}

export interface WebhookConfiguration {
  apiVersion: 'admissionregistration.k8s.io/v1';
  kind: 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration';
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  webhooks: Webhook[];
}

export interface WebhookConfigurationOptions {
  /** Where the apiserver sends AdmissionReviews; /validate and /mutate are added. */
  clientConfig: WebhookEndpoint;
  /**
   * Which namespaces' objects the webhooks see. Cluster-scoped kinds (ClusterBaseModel,
   * ClusterServingRuntime) are never skipped by it: that is Kubernetes' rule.
   */
  namespaceSelector?: LabelSelector;
  /** Which objects the webhooks see, by the object's labels; applies to cluster-scoped kinds too. */
  objectSelector?: LabelSelector;
  /**
   * PEM of the CA(s) the apiserver trusts for the webhook server. Leave it out when the operator
   * (self-managed certificates) or cert-manager's cainjector fills it in.
   */
  caBundle?: string;
  /** Defaults: VALIDATING_WEBHOOK_NAME and MUTATING_WEBHOOK_NAME (the names RBAC allows). */
  names?: { validating?: string; mutating?: string };
  labels?: Record<string, string>;
  /** e.g. cert-manager.io/inject-ca-from: <namespace>/<certificate>. */
  annotations?: Record<string, string>;
}

/** CREATE and UPDATE of every kind nbv serves (src/api/resources.ts), one rule per API version. */
export function webhookRules(): RuleWithOperations[] {
  const byGroupVersion = new Map<string, RuleWithOperations>();
  for (const { group, version, plural } of RESOURCES) {
    const key = `${group}/${version}`;
    const rule = byGroupVersion.get(key);
    if (rule) rule.resources.push(plural);
    else {
      byGroupVersion.set(key, {
        apiGroups: [group],
        apiVersions: [version],
        operations: ['CREATE', 'UPDATE'],
        resources: [plural],
        scope: '*',
      });
    }
  }
  return [...byGroupVersion.values()];
}

function toClientConfig(
  endpoint: WebhookEndpoint,
  path: string,
  caBundle: string | undefined,
): WebhookClientConfig {
  const ca = caBundle ? { caBundle: Buffer.from(caBundle).toString('base64') } : {};
  if ('url' in endpoint) {
    const url = new URL(endpoint.url);
    if (url.protocol !== 'https:') throw new Error(`a webhook URL must be https: ${endpoint.url}`);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
    return { url: url.toString(), ...ca };
  }
  return { service: { ...endpoint.service, path }, ...ca };
}

function webhook(
  name: string,
  path: string,
  options: WebhookConfigurationOptions,
): Omit<Webhook, 'reinvocationPolicy'> {
  return {
    name,
    clientConfig: toClientConfig(options.clientConfig, path, options.caBundle),
    rules: webhookRules(),
    // Objects that skipped admission would be invalid or lack their defaults: fail closed.
    failurePolicy: 'Fail',
    matchPolicy: 'Equivalent',
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    timeoutSeconds: 10,
    ...(options.namespaceSelector ? { namespaceSelector: options.namespaceSelector } : {}),
    ...(options.objectSelector ? { objectSelector: options.objectSelector } : {}),
  };
}

/** Both webhook configurations: validation at /validate, defaulting at /mutate. */
export function buildWebhookConfigurations(options: WebhookConfigurationOptions): {
  validating: WebhookConfiguration;
  mutating: WebhookConfiguration;
} {
  const metadata = (name: string) => ({
    name,
    ...(options.labels ? { labels: options.labels } : {}),
    ...(options.annotations ? { annotations: options.annotations } : {}),
  });
  return {
    validating: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: metadata(options.names?.validating ?? VALIDATING_WEBHOOK_NAME),
      webhooks: [webhook(VALIDATING_WEBHOOK_ENTRY, VALIDATE_PATH, options)],
    },
    mutating: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: metadata(options.names?.mutating ?? MUTATING_WEBHOOK_NAME),
      // Defaults do not depend on other mutations, so one call is enough.
      webhooks: [
        { ...webhook(MUTATING_WEBHOOK_ENTRY, MUTATE_PATH, options), reinvocationPolicy: 'Never' },
      ],
    },
  };
}
