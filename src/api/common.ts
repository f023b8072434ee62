// Building blocks shared by every nbv API type: Kubernetes object metadata, conditions,
// quantities and the scheduling types of core/v1. Each schema here is the single source of a
// TypeScript type, of admission validation and of a piece of a CRD's openAPIV3Schema.
import { z } from 'zod';

/** RFC 1123 label: what Kubernetes calls a DNS label (volume names, namespaces). */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1123 subdomain: object names such as claims, ConfigMaps and Secrets. */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A valid object name (RFC 1123 subdomain of at most 253 characters). */
export function isDnsSubdomain(name: string): boolean {
  return name.length <= 253 && DNS_SUBDOMAIN.test(name);
}
/** A Go duration as the existing operator accepts it: `30m`, `1h30m`, `90s`, `1.5h`. */
export const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
/** A non-negative decimal such as `0.0001` or `1e-6` (tolerances are strings in the API). */
export const DECIMAL = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
/** A signed decimal (expected output bounds). */
export const SIGNED_DECIMAL = /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
/** A Kubernetes resource quantity such as `500m`, `10Gi`, `1.5`, `2e3`. */
export const QUANTITY =
  /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(([KMGTPE]i)|[mkMGTPE]|[eE][+-]?[0-9]+)?$/;

export const dnsLabel = () =>
  z
    .string()
    .max(63, 'must be at most 63 characters')
    .regex(
      DNS_LABEL,
      'must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit',
    );

/** Marks a schema node as a Kubernetes int-or-string (quantities, ports). */
export const intOrString = () =>
  z.union([z.string(), z.number()]).meta({ 'x-kubernetes-int-or-string': true });

/** Resource quantity, written as a string (`"2Gi"`) or a bare number (`cpu: 10`). */
export const quantity = () =>
  intOrString().refine((q) => QUANTITY.test(String(q)), {
    message: 'must be a resource quantity such as 500m, 2, 10Gi or 1.5e3',
  });

/** Any JSON value, kept as written (papermill parameters, model configuration). */
export const anyJson = () => z.json().meta({ 'x-kubernetes-preserve-unknown-fields': true });

export const ObjectMeta = z
  .looseObject({
    name: z.string().optional(),
    generateName: z.string().optional(),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
    generation: z.number().optional(),
    creationTimestamp: z.string().optional(),
    deletionTimestamp: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    finalizers: z.array(z.string()).optional(),
    ownerReferences: z.array(z.looseObject({})).optional(),
  })
  .meta({ type: 'object' });
export type ObjectMeta = z.infer<typeof ObjectMeta>;

/** metav1.Condition (KEP-1623). */
export const Condition = z.object({
  type: z.string().max(316),
  status: z.enum(['True', 'False', 'Unknown']),
  observedGeneration: z.int().min(0).optional(),
  lastTransitionTime: z.string().meta({ format: 'date-time' }),
  reason: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/),
  message: z.string().max(32768),
});
export type Condition = z.infer<typeof Condition>;

export const conditions = () =>
  z
    .array(Condition)
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });

export const Toleration = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(['Exists', 'Equal']).default('Equal'),
  value: z.string().optional(),
  effect: z.enum(['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  tolerationSeconds: z.int().optional(),
});
export type Toleration = z.infer<typeof Toleration>;

const NodeSelectorRequirement = z.strictObject({
  key: z.string(),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']),
  values: z.array(z.string()).optional(),
});

const NodeSelectorTerm = z.strictObject({
  matchExpressions: z.array(NodeSelectorRequirement).optional(),
  matchFields: z.array(NodeSelectorRequirement).optional(),
});

export const NodeAffinity = z.strictObject({
  requiredDuringSchedulingIgnoredDuringExecution: z
    .strictObject({ nodeSelectorTerms: z.array(NodeSelectorTerm) })
    .optional(),
  preferredDuringSchedulingIgnoredDuringExecution: z
    .array(z.strictObject({ weight: z.int().min(1).max(100), preference: NodeSelectorTerm }))
    .optional(),
});
export type NodeAffinity = z.infer<typeof NodeAffinity>;

const LabelSelector = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string(),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

const PodAffinityTerm = z.strictObject({
  labelSelector: LabelSelector.optional(),
  namespaces: z.array(z.string()).optional(),
  namespaceSelector: LabelSelector.optional(),
  topologyKey: z.string(),
});

const PodAffinity = z.strictObject({
  requiredDuringSchedulingIgnoredDuringExecution: z.array(PodAffinityTerm).optional(),
  preferredDuringSchedulingIgnoredDuringExecution: z
    .array(z.strictObject({ weight: z.int().min(1).max(100), podAffinityTerm: PodAffinityTerm }))
    .optional(),
});

export const Affinity = z.strictObject({
  nodeAffinity: NodeAffinity.optional(),
  podAffinity: PodAffinity.optional(),
  podAntiAffinity: PodAffinity.optional(),
});
export type Affinity = z.infer<typeof Affinity>;

/** Fields of a core/v1 object that nbv passes through without interpreting. */
export const passthrough = <T extends z.core.$ZodLooseShape>(shape: T) =>
  z.looseObject(shape).meta({ 'x-kubernetes-preserve-unknown-fields': true });
