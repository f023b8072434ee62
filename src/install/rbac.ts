// The operator's permissions, as data: the one source for the generated ClusterRole and Role,
// the Helm chart, and the test that reviews them. Each rule says which controller needs it.
// Least privilege: no wildcard, no Secrets outside the operator's namespace, webhook
// configurations only by name, Leases only in the operator's namespace.

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
  /** Why the operator needs it (kept out of the rendered manifests). */
  why: string;
  /**
   * Only needed when the operator manages its own webhook certificate (`--self-signed-certs`):
   * left out of installs that use cert-manager or run without the webhook.
   */
  selfSignedCertsOnly?: true;
}

export const VALIDATING_WEBHOOK_NAME = 'nbv-validating-webhook';
export const MUTATING_WEBHOOK_NAME = 'nbv-mutating-webhook';
export const WEBHOOK_CERT_SECRET = 'nbv-webhook-cert';
export const LEADER_ELECTION_LEASE = 'nbv-operator';

const READ = ['get', 'list', 'watch'];

/** Cluster-wide: the objects users create live in any namespace. */
export const CLUSTER_RULES: readonly PolicyRule[] = [
  {
    apiGroups: ['mlops.mlops.dev'],
    resources: ['notebookvalidationjobs'],
    verbs: READ,
    why: 'NotebookValidationJob controller: the primary objects',
  },
  {
    apiGroups: ['mlops.mlops.dev'],
    resources: ['notebookvalidationjobs/status'],
    verbs: ['get', 'patch', 'update'],
    why: 'NotebookValidationJob controller: writes status (server-side apply)',
  },
  {
    apiGroups: ['mlops.mlops.dev'],
    resources: ['notebookvalidationjobs/finalizers'],
    verbs: ['update'],
    why: 'owner references with blockOwnerDeletion on validation pods',
  },
  {
    apiGroups: [''],
    resources: ['pods'],
    verbs: [...READ, 'create', 'delete'],
    why: 'validation pods: created per attempt; a pod stuck pulling its image is deleted before a retry',
  },
  {
    apiGroups: [''],
    resources: ['pods/log'],
    verbs: ['get'],
    why: "the report step's full report when it does not fit the termination message",
  },
  {
    apiGroups: ['events.k8s.io'],
    resources: ['events'],
    verbs: ['create', 'patch'],
    why: 'Events on the objects nbv reconciles',
  },
  {
    apiGroups: ['ome.io'],
    resources: ['basemodels', 'clusterbasemodels', 'inferenceservices'],
    verbs: [...READ, 'patch', 'update'],
    why: 'model controllers: filling empty spec fields, adding and removing the finalizer',
  },
  {
    apiGroups: ['ome.io'],
    resources: ['basemodels/status', 'clusterbasemodels/status', 'inferenceservices/status'],
    verbs: ['get', 'patch', 'update'],
    why: 'model controllers: write status',
  },
  {
    apiGroups: ['ome.io'],
    resources: [
      'basemodels/finalizers',
      'clusterbasemodels/finalizers',
      'inferenceservices/finalizers',
    ],
    verbs: ['update'],
    why: 'owner references with blockOwnerDeletion on metadata Jobs, Deployments and Services',
  },
  {
    apiGroups: ['ome.io'],
    resources: ['servingruntimes', 'clusterservingruntimes'],
    verbs: READ,
    why: 'InferenceService controller: runtime selection',
  },
  {
    apiGroups: [''],
    resources: ['persistentvolumeclaims'],
    verbs: READ,
    why: 'BaseModel controller: is the claim there and bound',
  },
  {
    apiGroups: ['batch'],
    resources: ['jobs'],
    verbs: [...READ, 'create', 'delete'],
    why: 'BaseModel controller: metadata Jobs',
  },
  {
    apiGroups: ['apps'],
    resources: ['deployments'],
    verbs: [...READ, 'create', 'patch', 'delete'],
    why: 'InferenceService controller: serving Deployment (server-side apply)',
  },
  {
    apiGroups: [''],
    resources: ['services'],
    verbs: [...READ, 'create', 'patch', 'delete'],
    why: 'InferenceService controller: serving Service (server-side apply)',
  },
  {
    apiGroups: ['admissionregistration.k8s.io'],
    resources: ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'],
    verbs: ['get', 'patch'],
    resourceNames: [VALIDATING_WEBHOOK_NAME, MUTATING_WEBHOOK_NAME],
    why: "self-managed certificates: keep the webhooks' caBundle current",
    selfSignedCertsOnly: true,
  },
];

/** In the operator's own namespace only. */
export const NAMESPACE_RULES: readonly PolicyRule[] = [
  {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    verbs: ['create'],
    why: 'leader election: the first replica creates the Lease',
  },
  {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    verbs: ['get', 'update'],
    resourceNames: [LEADER_ELECTION_LEASE],
    why: 'leader election: renew and take over the Lease',
  },
  {
    apiGroups: [''],
    resources: ['secrets'],
    verbs: ['create'],
    why: 'self-managed certificates: the first replica stores the CA and serving certificate',
    selfSignedCertsOnly: true,
  },
  {
    apiGroups: [''],
    resources: ['secrets'],
    verbs: ['get', 'update'],
    resourceNames: [WEBHOOK_CERT_SECRET],
    why: 'self-managed certificates: read and rotate the webhook certificate',
    selfSignedCertsOnly: true,
  },
];
