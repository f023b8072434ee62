// The shapes that the model inspector returns. ModelMetadata mirrors the OME BaseModel spec
// fields (reference/ome/crds/ome.io_basemodels.yaml), so that the BaseModel controller can copy
// each one into the spec where the user left it empty.

/** OME capability names (the CRD keeps them as free strings; these are the ones nbv infers). */
export type ModelCapability =
  | 'TEXT_TO_TEXT'
  | 'EMBEDDING'
  | 'RERANK'
  | 'IMAGE_TEXT_TO_TEXT'
  | 'AUDIO_TO_TEXT'
  | 'TEXT_TO_IMAGE';

/** `spec.modelFormat` / `spec.modelFramework` (operator and weight keep their CRD defaults). */
export interface NameVersion {
  name: string;
  version?: string;
}

/** A diffusers component: `[library, class]` in model_index.json. */
export interface DiffusionComponent {
  library?: string;
  type?: string;
}

/** `spec.diffusionPipeline`. */
export interface DiffusionPipeline {
  className?: string;
  scheduler?: DiffusionComponent;
  textEncoder?: DiffusionComponent;
  tokenizer?: DiffusionComponent;
  transformer?: DiffusionComponent;
  vae?: DiffusionComponent;
  additionalComponents?: Record<string, DiffusionComponent>;
}

export interface ModelMetadata {
  modelType?: string;
  modelArchitecture?: string;
  modelFormat?: NameVersion;
  modelFramework?: NameVersion;
  modelCapabilities?: ModelCapability[];
  /** int32 in the CRD: omitted when the config's value does not fit. */
  maxTokens?: number;
  /** Three significant figures: `8.03B`, `135M`, `1.03T`. */
  modelParameterSize?: string;
  quantization?: string;
  /** Diffusers pipelines only. */
  diffusionPipeline?: DiffusionPipeline;
}

export type Severity = 'error' | 'warning';

/** One servability problem found by the preflight (or while reading the model). */
export interface Finding {
  severity: Severity;
  /** Stable, kebab-case: `shard-missing`, `symlink-escapes`, ... */
  code: string;
  message: string;
  /** Path relative to the inspected directory, when the finding is about one file. */
  file?: string;
}

export type ParameterSource = 'safetensors' | 'config-estimate';

export interface MemoryEstimate {
  /** Bytes of the weights: exact from safetensors headers, else parameters x bytes per parameter. */
  weightsBytes: number;
  /** KV cache for one sequence of `kvCacheTokens` tokens (0 for embedding models). */
  kvCacheBytes: number;
  kvCacheTokens: number;
  totalBytes: number;
  weightsHuman: string;
  kvCacheHuman: string;
  totalHuman: string;
}

export interface ModelInspection {
  /** The directory as given. */
  path: string;
  /** The config file used, relative to `path`. */
  configFile: string;
  /** `transformers` for a config.json model, `diffusers` for a model_index.json pipeline. */
  layout: 'transformers' | 'diffusers';
  metadata: ModelMetadata;
  /** torch dtype named by the config (`bfloat16`, ...). */
  dtype?: string;
  parameterCount?: number;
  parameterSource?: ParameterSource;
  memory?: MemoryEstimate;
  /** Weight files that were read (relative to `path`). */
  weightFiles: string[];
  findings: Finding[];
}
