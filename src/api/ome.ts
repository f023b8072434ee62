// ome.io/v1beta1: BaseModel, ClusterBaseModel, InferenceService, ServingRuntime and
// ClusterServingRuntime — the subset nbv implements, with OME's field names.
import { z } from 'zod';
import {
  NodeAffinity,
  ObjectMeta,
  Toleration,
  anyJson,
  conditions,
  passthrough,
  quantity,
} from './common.ts';

export const OME_GROUP = 'ome.io';
export const OME_VERSION = 'v1beta1';
export const OME_API_VERSION = `${OME_GROUP}/${OME_VERSION}`;

const ModelFormat = z.strictObject({
  name: z.string(),
  version: z.string().optional(),
  operator: z.string().default('Equal'),
  weight: z.int().default(1),
});
export type ModelFormat = z.infer<typeof ModelFormat>;

const DiffusionComponent = z.strictObject({
  library: z.string().optional(),
  type: z.string().optional(),
});

export const StorageSpec = z.strictObject({
  storageUri: z.string().min(1).describe('Where the model lies, e.g. pvc://claim/sub/path.'),
  path: z.string().optional(),
  schemaPath: z.string().optional(),
  key: z.string().optional(),
  parameters: z.record(z.string(), z.string()).optional(),
  nodeSelector: z
    .record(z.string(), z.string())
    .meta({ 'x-kubernetes-map-type': 'atomic' })
    .optional(),
  nodeAffinity: NodeAffinity.optional(),
  downloadPolicy: z.enum(['AlwaysDownload', 'ReuseIfExists']).optional(),
});
export type StorageSpec = z.infer<typeof StorageSpec>;

const atomicList = () => z.array(z.string()).meta({ 'x-kubernetes-list-type': 'atomic' });

export const BaseModelSpec = z.strictObject({
  modelFormat: ModelFormat.optional(),
  modelType: z.string().optional(),
  modelFramework: ModelFormat.optional(),
  modelArchitecture: z.string().optional(),
  quantization: z.string().optional(),
  modelParameterSize: z.string().optional(),
  modelCapabilities: atomicList().optional(),
  modelConfiguration: anyJson().optional(),
  apiCapabilities: atomicList().optional(),
  servingMode: atomicList().optional(),
  maxTokens: z
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
  additionalMetadata: z.record(z.string(), z.string()).optional(),
  diffusionPipeline: z
    .strictObject({
      className: z.string().optional(),
      scheduler: DiffusionComponent.optional(),
      textEncoder: DiffusionComponent.optional(),
      tokenizer: DiffusionComponent.optional(),
      transformer: DiffusionComponent.optional(),
      vae: DiffusionComponent.optional(),
      additionalComponents: z
        .record(z.string(), DiffusionComponent)
        .meta({ 'x-kubernetes-map-type': 'atomic' })
        .optional(),
    })
    .optional(),
  displayName: z.string().optional(),
  version: z.string().optional(),
  vendor: z.string().optional(),
  compartmentID: z.string().optional(),
  disabled: z.boolean().optional(),
  storage: StorageSpec,
});
export type BaseModelSpec = z.infer<typeof BaseModelSpec>;

export const MODEL_STATES = [
  'Creating',
  'Importing',
  'In_Transit',
  'In_Training',
  'Ready',
  'Failed',
] as const;
export type ModelState = (typeof MODEL_STATES)[number];

export const BaseModelStatus = z.object({
  state: z.enum(MODEL_STATES),
  lifecycle: z.string().optional(),
  nodesReady: atomicList().optional(),
  nodesFailed: atomicList().optional(),
  conditions: conditions().optional(),
  observedGeneration: z.int().min(0).optional(),
  metadataFingerprint: z
    .string()
    .optional()
    .describe(
      'Hash of the storage URI whose metadata was extracted; extraction is not repeated for it.',
    ),
  metadataJobName: z.string().optional(),
});
export type BaseModelStatus = z.infer<typeof BaseModelStatus>;

export const BASE_MODEL_KIND = 'BaseModel';
export const CLUSTER_BASE_MODEL_KIND = 'ClusterBaseModel';

const modelResource = <K extends string>(kind: K) =>
  z.strictObject({
    apiVersion: z.literal(OME_API_VERSION),
    kind: z.literal(kind),
    metadata: ObjectMeta,
    spec: BaseModelSpec,
    status: BaseModelStatus.optional(),
  });

export const BaseModel = modelResource(BASE_MODEL_KIND);
export const ClusterBaseModel = modelResource(CLUSTER_BASE_MODEL_KIND);
export type BaseModel = z.infer<typeof BaseModel>;
export type ClusterBaseModel = z.infer<typeof ClusterBaseModel>;
export type AnyBaseModel = BaseModel | ClusterBaseModel;

// ---- serving runtimes ----

/** A core/v1 Container: the fields nbv reads are typed, every other field is kept as written. */
export const Container = passthrough({
  name: z.string().optional(),
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: z.array(passthrough({ name: z.string() })).optional(),
  resources: z
    .strictObject({
      limits: z.record(z.string(), quantity()).optional(),
      requests: z.record(z.string(), quantity()).optional(),
    })
    .optional(),
  volumeMounts: z.array(passthrough({ name: z.string(), mountPath: z.string() })).optional(),
  ports: z.array(passthrough({ containerPort: z.int() })).optional(),
});
export type Container = z.infer<typeof Container>;

const SupportedModelFormat = z.strictObject({
  name: z.string().optional(),
  modelFormat: ModelFormat.optional(),
  modelFramework: ModelFormat.optional(),
  modelArchitecture: z.string().optional(),
  quantization: z.string().optional(),
  autoSelect: z.boolean().optional(),
  priority: z.int().min(0).optional(),
  version: z.string().optional(),
});
export type SupportedModelFormat = z.infer<typeof SupportedModelFormat>;

const ComponentConfig = z.strictObject({
  runner: Container.optional(),
  volumes: z.array(passthrough({ name: z.string() })).optional(),
  tolerations: z.array(Toleration).optional(),
  nodeSelector: z.record(z.string(), z.string()).optional(),
  affinity: passthrough({}).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  minReplicas: z.int().min(0).optional(),
  maxReplicas: z.int().min(0).optional(),
});
export type ComponentConfig = z.infer<typeof ComponentConfig>;

export const ServingRuntimeSpec = z.strictObject({
  disabled: z.boolean().optional(),
  supportedModelFormats: z.array(SupportedModelFormat).optional(),
  modelSizeRange: z
    .strictObject({ min: z.string().optional(), max: z.string().optional() })
    .optional(),
  protocolVersions: z.array(z.string()).optional(),
  engineConfig: ComponentConfig.optional(),
  routerConfig: ComponentConfig.optional(),
});
export type ServingRuntimeSpec = z.infer<typeof ServingRuntimeSpec>;

export const SERVING_RUNTIME_KIND = 'ServingRuntime';
export const CLUSTER_SERVING_RUNTIME_KIND = 'ClusterServingRuntime';

const runtimeResource = <K extends string>(kind: K) =>
  z.strictObject({
    apiVersion: z.literal(OME_API_VERSION),
    kind: z.literal(kind),
    metadata: ObjectMeta,
    spec: ServingRuntimeSpec,
    status: z.looseObject({}).meta({ 'x-kubernetes-preserve-unknown-fields': true }).optional(),
  });
export const ServingRuntime = runtimeResource(SERVING_RUNTIME_KIND);
export const ClusterServingRuntime = runtimeResource(CLUSTER_SERVING_RUNTIME_KIND);
export type ServingRuntime = z.infer<typeof ServingRuntime>;
export type ClusterServingRuntime = z.infer<typeof ClusterServingRuntime>;
export type AnyServingRuntime = ServingRuntime | ClusterServingRuntime;

// ---- inference service ----

export const InferenceServiceSpec = z.strictObject({
  model: z.strictObject({
    name: z.string().min(1, 'must name a BaseModel or ClusterBaseModel'),
    kind: z.enum([BASE_MODEL_KIND, CLUSTER_BASE_MODEL_KIND]).optional(),
    apiGroup: z.string().optional(),
  }),
  runtime: z.strictObject({ name: z.string().min(1), kind: z.string().optional() }).optional(),
  engine: ComponentConfig.optional(),
  router: ComponentConfig.optional(),
});
export type InferenceServiceSpec = z.infer<typeof InferenceServiceSpec>;

export const InferenceServiceStatus = z.object({
  conditions: conditions().optional(),
  observedGeneration: z.int().min(0).optional(),
  url: z.string().optional(),
  runtime: z.string().optional(),
});
export type InferenceServiceStatus = z.infer<typeof InferenceServiceStatus>;

export const INFERENCE_SERVICE_KIND = 'InferenceService';
export const InferenceService = z.strictObject({
  apiVersion: z.literal(OME_API_VERSION),
  kind: z.literal(INFERENCE_SERVICE_KIND),
  metadata: ObjectMeta,
  spec: InferenceServiceSpec,
  status: InferenceServiceStatus.optional(),
});
export type InferenceService = z.infer<typeof InferenceService>;
