// mlops.mlops.dev/v1alpha1 NotebookValidationJob: field names, enums, patterns, bounds and
// defaults of the existing Go operator's CRD, so that its manifests apply unchanged; plus
// `spec.notebook.parameters` (papermill parameters).
import { z } from 'zod';
import {
  Affinity,
  type Condition,
  DECIMAL,
  DNS_LABEL,
  GO_DURATION,
  ObjectMeta,
  SIGNED_DECIMAL,
  Toleration,
  anyJson,
  conditions,
  dnsLabel,
  passthrough,
  quantity,
} from './common.ts';

export const NVJ_GROUP = 'mlops.mlops.dev';
export const NVJ_VERSION = 'v1alpha1';
export const NVJ_API_VERSION = `${NVJ_GROUP}/${NVJ_VERSION}`;
export const NVJ_KIND = 'NotebookValidationJob';

const GIT_URL = /^((https?|git|ssh):\/\/|git@).*$/;

export const GitSource = z.strictObject({
  url: z
    .string()
    .regex(GIT_URL, 'must be an https://, http://, ssh://, git:// or git@host: URL')
    .describe('Git repository URL.'),
  ref: z.string().describe('Branch, tag or commit SHA to check out.'),
  credentialsSecret: z
    .string()
    .optional()
    .describe('Secret with git credentials: username/password (https) or ssh-privatekey (ssh).'),
});
export type GitSource = z.infer<typeof GitSource>;

const notebookPath = () =>
  z
    .string()
    .regex(/^.*\.ipynb$/, 'must be a path ending in .ipynb')
    .describe('Notebook path inside the repository.');

export const NotebookSource = z.strictObject({
  git: GitSource,
  path: notebookPath(),
  parameters: z
    .record(z.string(), anyJson())
    .optional()
    .describe(
      'Papermill parameters: name to any JSON value, injected after the "parameters" cell.',
    ),
});
export type NotebookSource = z.infer<typeof NotebookSource>;

export const GoldenNotebookSource = z.strictObject({ git: GitSource, path: notebookPath() });
export type GoldenNotebookSource = z.infer<typeof GoldenNotebookSource>;

const modeBits = () =>
  z.int().min(0, 'must be between 0 and 0777').max(0o777, 'must be between 0 and 0777');

const KeyToPath = z.strictObject({
  key: z.string().min(1),
  path: z
    .string()
    .min(1)
    .regex(/^[^/].*$/, 'must be a relative path'),
  mode: modeBits().optional(),
});

export const Volume = z.strictObject({
  name: dnsLabel().describe('Volume name, referenced by a volumeMount.'),
  persistentVolumeClaim: z
    .strictObject({ claimName: z.string().min(1), readOnly: z.boolean().optional() })
    .optional(),
  configMap: z
    .strictObject({
      name: z.string().min(1),
      items: z.array(KeyToPath).optional(),
      defaultMode: modeBits().optional(),
      optional: z.boolean().optional(),
    })
    .optional(),
  secret: z
    .strictObject({
      secretName: z.string().min(1),
      items: z.array(KeyToPath).optional(),
      defaultMode: modeBits().optional(),
      optional: z.boolean().optional(),
    })
    .optional(),
  emptyDir: z
    .strictObject({
      medium: z.enum(['', 'Memory']).optional(),
      sizeLimit: z
        .string()
        .regex(
          /^([0-9]+(\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/,
          'must be a quantity such as 10Gi',
        )
        .optional(),
    })
    .optional(),
});
export type Volume = z.infer<typeof Volume>;

export const VolumeMount = z.strictObject({
  name: z.string().regex(DNS_LABEL, 'must name a volume (a DNS label)'),
  mountPath: z.string().regex(/^\/.*$/, 'must be an absolute path'),
  subPath: z.string().optional(),
  readOnly: z.boolean().optional(),
});
export type VolumeMount = z.infer<typeof VolumeMount>;

const KeyRef = z.strictObject({ key: z.string(), name: z.string() });

export const EnvVar = z.strictObject({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z
    .strictObject({ configMapKeyRef: KeyRef.optional(), secretKeyRef: KeyRef.optional() })
    .optional(),
});
export type EnvVar = z.infer<typeof EnvVar>;

export const EnvFromSource = z.strictObject({
  configMapRef: z.strictObject({ name: z.string() }).optional(),
  secretRef: z.strictObject({ name: z.string() }).optional(),
});
export type EnvFromSource = z.infer<typeof EnvFromSource>;

export const ResourceRequirements = z.strictObject({
  limits: z.record(z.string(), quantity()).optional(),
  requests: z.record(z.string(), quantity()).optional(),
});
export type ResourceRequirements = z.infer<typeof ResourceRequirements>;

export const BuildConfig = z.strictObject({
  enabled: z.boolean().default(false),
  strategy: z.enum(['s2i', 'tekton', 'kaniko', 'shipwright', 'custom']).default('s2i'),
  baseImage: z.string().default('quay.io/jupyter/minimal-notebook:latest'),
  autoGenerateRequirements: z.boolean().default(true),
  requirementsFile: z.string().optional(),
  requirementsSources: z.array(z.string()).optional(),
  dockerfile: z
    .string()
    .regex(/^[a-zA-Z0-9._/-]+$/)
    .optional(),
  preferDockerfile: z.boolean().default(false),
  fallbackStrategy: z.enum(['warn', 'fail', 'auto']).default('warn'),
  strategyConfig: z.record(z.string(), z.string()).optional(),
  timeout: z.string().default('15m'),
});

export const PodConfig = z.strictObject({
  containerImage: z
    .string()
    .min(1)
    .describe('Image of the execute step (needs python, papermill, ipykernel).'),
  resources: ResourceRequirements.optional(),
  serviceAccountName: z.string().default('default'),
  env: z.array(EnvVar).optional(),
  envFrom: z.array(EnvFromSource).optional(),
  credentials: z
    .array(z.string())
    .optional()
    .describe('Secret names injected as envFrom secretRefs (shorthand for envFrom).'),
  buildConfig: BuildConfig.optional(),
  volumes: z.array(Volume).optional(),
  volumeMounts: z.array(VolumeMount).optional(),
  tolerations: z.array(Toleration).optional(),
  nodeSelector: z.record(z.string(), z.string()).optional(),
  affinity: Affinity.optional(),
});
export type PodConfig = z.infer<typeof PodConfig>;

export const ComparisonConfig = z.strictObject({
  strategy: z.enum(['exact', 'normalized']).default('normalized'),
  floatingPointTolerance: z
    .string()
    .regex(DECIMAL, 'must be a non-negative number such as 0.0001')
    .default('0.0001'),
  ignoreTimestamps: z.boolean().default(true),
  ignoreExecutionCount: z.boolean().default(true),
  customTimestampPatterns: z.array(z.string()).optional(),
  ignoreOutputTypes: z.array(z.string()).optional(),
});
export type ComparisonConfig = z.infer<typeof ComparisonConfig>;

export const ModelValidation = z.strictObject({
  enabled: z.boolean().default(true),
  platform: z
    .enum([
      'kserve',
      'openshift-ai',
      'vllm',
      'torchserve',
      'tensorflow-serving',
      'triton',
      'ray-serve',
      'seldon',
      'bentoml',
      'custom',
    ])
    .default('kserve'),
  phase: z.enum(['clean', 'existing', 'both']).default('both'),
  targetModels: z.array(z.string()).optional(),
  predictionValidation: z
    .strictObject({
      enabled: z.boolean().default(true),
      testData: z.string().optional(),
      expectedOutput: z.string().optional(),
      tolerance: z.string().regex(DECIMAL).default('0.01'),
    })
    .optional(),
  customPlatform: z
    .strictObject({
      apiGroup: z.string().optional(),
      resourceType: z.string().optional(),
      healthCheckEndpoint: z.string().optional(),
      predictionEndpoint: z.string().optional(),
    })
    .optional(),
  timeout: z.string().regex(GO_DURATION).default('5m'),
});

export const ExpectedOutput = z.strictObject({
  cell: z.int().min(0).describe('Index of the code cell (0-based, over all cells).'),
  type: z.string().optional(),
  shape: z.string().optional(),
  minValue: z.string().regex(SIGNED_DECIMAL, 'must be a number').optional(),
  maxValue: z.string().regex(SIGNED_DECIMAL, 'must be a number').optional(),
  notEmpty: z.boolean().default(false),
});
export type ExpectedOutput = z.infer<typeof ExpectedOutput>;

export const ValidationConfig = z.strictObject({
  level: z.enum(['learning', 'development', 'staging', 'production']).default('development'),
  strictMode: z.boolean().default(false),
  failOnStderr: z.boolean().default(false),
  failOnWarnings: z.boolean().default(false),
  checkOutputTypes: z.boolean().default(false),
  verifyAssertions: z.boolean().default(false),
  requireExplicitExitCodes: z.boolean().default(false),
  detectSilentFailures: z.boolean().default(true),
  expectedOutputs: z.array(ExpectedOutput).optional(),
});
export type ValidationConfig = z.infer<typeof ValidationConfig>;

export const NotebookValidationJobSpec = z.strictObject({
  notebook: NotebookSource,
  goldenNotebook: GoldenNotebookSource.optional(),
  podConfig: PodConfig,
  timeout: z
    .string()
    .regex(GO_DURATION, 'must be a duration such as 30m, 1h30m or 90s')
    .default('30m'),
  comparisonConfig: ComparisonConfig.optional(),
  modelValidation: ModelValidation.optional(),
  validationConfig: ValidationConfig.optional(),
  // Written by some of the existing operator's samples although its CRD never had them; kept
  // as written (and reported) so those manifests still apply.
  validation: passthrough({})
    .optional()
    .describe('Legacy field of older samples; kept, not acted on.'),
  retryPolicy: passthrough({})
    .optional()
    .describe('Legacy field of older samples; kept, not acted on.'),
});
export type NotebookValidationJobSpec = z.infer<typeof NotebookValidationJobSpec>;
export type NotebookValidationJobSpecInput = z.input<typeof NotebookValidationJobSpec>;

// ---- status ----

export const CellResult = z.object({
  cellIndex: z.int().min(0),
  status: z.enum(['Success', 'Failure', 'Skipped']),
  executionTime: z.string().optional(),
  output: z.string().optional(),
  errorMessage: z.string().optional(),
  // nbv's additions: the structured error and what the cell produced.
  errorName: z.string().optional().describe('Exception class name, e.g. ZeroDivisionError.'),
  errorValue: z.string().optional(),
  traceback: z
    .string()
    .optional()
    .describe('Traceback without ANSI colours, shortened in the middle when long.'),
  outputTypes: z
    .array(z.string())
    .optional()
    .describe('Output types of the cell: stream:stdout, execute_result, image/png, ...'),
});
export type CellResult = z.infer<typeof CellResult>;

export const CellDiff = z.object({
  cellIndex: z.int().min(0),
  cellType: z.enum(['code', 'markdown']),
  diffType: z.enum(['output_mismatch', 'execution_error', 'missing_cell', 'extra_cell']),
  expected: z.string().optional(),
  actual: z.string().optional(),
  diff: z.string().optional(),
  severity: z.enum(['minor', 'major', 'critical']),
});
export type CellDiff = z.infer<typeof CellDiff>;

export const ComparisonResult = z.object({
  strategy: z.enum(['exact', 'normalized', 'fuzzy', 'semantic']),
  result: z.enum(['matched', 'failed', 'skipped']),
  totalCells: z.int().min(0),
  matchedCells: z.int().min(0),
  mismatchedCells: z.int().min(0),
  diffs: z.array(CellDiff).optional(),
});
export type ComparisonResult = z.infer<typeof ComparisonResult>;

const BuildStatus = z.object({
  phase: z.enum(['Pending', 'Running', 'Complete', 'Failed']).optional(),
  message: z.string().optional(),
  imageReference: z.string().optional(),
  buildName: z.string().optional(),
  strategy: z.string().optional(),
  startTime: z.string().meta({ format: 'date-time' }).optional(),
  completionTime: z.string().meta({ format: 'date-time' }).optional(),
  duration: z.string().optional(),
  recommendedImage: z.string().optional(),
  availableImages: z
    .array(
      z.object({
        name: z.string(),
        displayName: z.string(),
        description: z.string(),
        imageRef: z.string(),
        s2iEnabled: z.boolean(),
        tags: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

const PredictionResult = z.object({
  success: z.boolean(),
  message: z.string().optional(),
  expectedOutput: z.string().optional(),
  actualOutput: z.string().optional(),
  difference: z.string().optional(),
});

const ModelValidationResult = z.object({
  success: z.boolean(),
  platform: z.string(),
  platformDetected: z.boolean(),
  phase: z.enum(['clean', 'existing', 'both']),
  message: z.string().optional(),
  cleanEnvironmentCheck: z
    .object({
      success: z.boolean(),
      platformAvailable: z.boolean(),
      rbacPermissions: z.boolean(),
      networkConnectivity: z.boolean(),
      crdsInstalled: z.array(z.string()).optional(),
      requiredLibraries: z.array(z.string()).optional(),
      message: z.string().optional(),
    })
    .optional(),
  existingEnvironmentCheck: z
    .object({
      success: z.boolean(),
      message: z.string().optional(),
      predictionValidation: PredictionResult.optional(),
      modelsChecked: z
        .array(
          z.object({
            modelName: z.string(),
            available: z.boolean(),
            healthy: z.boolean(),
            version: z.string().optional(),
            message: z.string().optional(),
            resourceStatus: z
              .object({
                cpuUsage: z.string().optional(),
                memoryUsage: z.string().optional(),
                gpuUsage: z.string().optional(),
              })
              .optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

export const NVJ_PHASES = [
  'Initializing',
  'Building',
  'BuildComplete',
  'ValidationRunning',
  'Succeeded',
  'Failed',
  'Pending',
  'Running',
] as const;

export const NotebookValidationJobStatus = z.object({
  phase: z.enum(NVJ_PHASES).optional(),
  conditions: conditions().optional(),
  observedGeneration: z.int().min(0).optional(),
  startTime: z.string().meta({ format: 'date-time' }).optional(),
  completionTime: z.string().meta({ format: 'date-time' }).optional(),
  validationPodName: z.string().optional(),
  message: z.string().optional(),
  retryCount: z.int().optional(),
  lastRetryTime: z.string().meta({ format: 'date-time' }).optional(),
  results: z.array(CellResult).optional(),
  comparisonResult: ComparisonResult.optional(),
  buildStatus: BuildStatus.optional(),
  modelValidationResult: ModelValidationResult.optional(),
});
export type NotebookValidationJobStatus = z.infer<typeof NotebookValidationJobStatus>;

export const NotebookValidationJob = z.strictObject({
  apiVersion: z.literal(NVJ_API_VERSION),
  kind: z.literal(NVJ_KIND),
  metadata: ObjectMeta,
  spec: NotebookValidationJobSpec,
  status: NotebookValidationJobStatus.optional(),
});
export type NotebookValidationJob = z.infer<typeof NotebookValidationJob>;

export type { Condition };
