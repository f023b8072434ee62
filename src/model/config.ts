// Typed access to Hugging Face config.json files. Configs are free-form: a field may be absent,
// null, of another type, or live in a nested config (text_config, language_config, ...). Every
// reader here returns undefined rather than a wrong value.
import { isJsonObject, type JsonObject } from './json.ts';

export function getString(obj: JsonObject | undefined, key: string): string | undefined {
  const value = obj?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A finite number, or undefined. */
export function getNumber(obj: JsonObject | undefined, key: string): number | undefined {
  const value = obj?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A positive safe integer, or undefined (sizes, counts and lengths are never 0 or fractional). */
export function getPositiveInt(obj: JsonObject | undefined, key: string): number | undefined {
  const value = getNumber(obj, key);
  return value !== undefined && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

export function getBoolean(obj: JsonObject | undefined, key: string): boolean | undefined {
  const value = obj?.[key];
  return typeof value === 'boolean' ? value : undefined;
}

export function getObject(obj: JsonObject | undefined, key: string): JsonObject | undefined {
  const value = obj?.[key];
  return isJsonObject(value) ? value : undefined;
}

export function getArray(obj: JsonObject | undefined, key: string): unknown[] | undefined {
  const value = obj?.[key];
  return Array.isArray(value) ? value : undefined;
}

/** The first key of `keys` that holds a positive integer. */
export function firstPositiveInt(
  obj: JsonObject | undefined,
  keys: readonly string[],
): number | undefined {
  for (const key of keys) {
    const value = getPositiveInt(obj, key);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** `architectures[0]` when it is a string. */
export function architectureOf(config: JsonObject): string | undefined {
  const first = getArray(config, 'architectures')?.[0];
  return typeof first === 'string' && first !== '' ? first : undefined;
}

/**
 * Defaults of the transformers config classes, for the fields that matter to nbv, where
 * published configs rely on them: llava's minimal Llama text_config, Gemma 3's text_config
 * without vocab_size or max_position_embeddings, CLIP/SigLIP vision configs.
 */
const CONFIG_CLASS_DEFAULTS: Record<string, JsonObject> = {
  llama: {
    hidden_size: 4096,
    intermediate_size: 11008,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    vocab_size: 32000,
    max_position_embeddings: 2048,
  },
  gemma3_text: {
    hidden_size: 2304,
    intermediate_size: 9216,
    num_hidden_layers: 26,
    num_attention_heads: 8,
    num_key_value_heads: 4,
    head_dim: 256,
    vocab_size: 262_208,
    max_position_embeddings: 131_072,
  },
  clip_vision_model: {
    hidden_size: 768,
    intermediate_size: 3072,
    num_hidden_layers: 12,
    num_attention_heads: 12,
    image_size: 224,
    patch_size: 32,
  },
  siglip_vision_model: {
    hidden_size: 768,
    intermediate_size: 3072,
    num_hidden_layers: 12,
    num_attention_heads: 12,
    image_size: 224,
    patch_size: 16,
  },
};

/** Families whose nested text config may omit `model_type`: the type its defaults come from. */
const TEXT_MODEL_TYPE_OF: Record<string, string> = { gemma3: 'gemma3_text', llava: 'llama' };

/** The config with its class defaults filled in where a field is absent (not where it is null). */
function withClassDefaults(config: JsonObject, fallbackType?: string): JsonObject {
  const type = getString(config, 'model_type') ?? fallbackType;
  const defaults =
    type !== undefined && Object.hasOwn(CONFIG_CLASS_DEFAULTS, type)
      ? CONFIG_CLASS_DEFAULTS[type]
      : undefined;
  return defaults ? { ...defaults, ...config } : config;
}

const TEXT_CONFIG_KEYS = ['text_config', 'llm_config', 'language_config'] as const;

/**
 * The language model's own config: the nested text/llm/language config when there is one
 * (multimodal models), else the top level. Class defaults are filled in.
 */
export function languageConfig(config: JsonObject): JsonObject {
  for (const key of TEXT_CONFIG_KEYS) {
    const nested = getObject(config, key);
    if (nested) {
      const rootType = getString(config, 'model_type');
      return withClassDefaults(
        nested,
        rootType !== undefined ? TEXT_MODEL_TYPE_OF[rootType] : undefined,
      );
    }
  }
  return withClassDefaults(config);
}

/** The vision tower's config of a multimodal model, when the config describes one. */
export function visionConfig(config: JsonObject): JsonObject | undefined {
  const nested = getObject(config, 'vision_config');
  return nested ? withClassDefaults(nested) : undefined;
}

/** The torch dtype: `torch_dtype` or `dtype`, at the top level or in the language config. */
export function dtypeOf(config: JsonObject): string | undefined {
  const text = languageConfig(config);
  for (const obj of [config, text]) {
    for (const key of ['torch_dtype', 'dtype']) {
      const value = getString(obj, key);
      if (value !== undefined) return value.replace(/^torch\./, '');
    }
  }
  return undefined;
}

/** The quantization_config object of the model or of its language model. */
export function quantizationConfig(config: JsonObject): JsonObject | undefined {
  return (
    getObject(config, 'quantization_config') ??
    getObject(languageConfig(config), 'quantization_config')
  );
}

/**
 * The quantization method: `quantization_config.quant_method`, else the `quant_algo` of an
 * NVIDIA ModelOpt `hf_quant_config.json` (lower-cased, as quant_method values are).
 */
export function quantizationOf(config: JsonObject, hfQuantConfig?: JsonObject): string | undefined {
  const method = getString(quantizationConfig(config), 'quant_method');
  if (method !== undefined) return method;
  const algo = getString(getObject(hfQuantConfig, 'quantization'), 'quant_algo');
  return algo?.toLowerCase();
}
