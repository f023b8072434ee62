// The context length (maxTokens) of a model, from its language model's own config.
import { firstPositiveInt, getString, languageConfig } from './config.ts';
import type { JsonObject } from './json.ts';

/** Field names that carry the context length, in order of preference. */
const CONTEXT_LENGTH_KEYS = [
  'max_position_embeddings',
  'max_sequence_length',
  'max_seq_len',
  'seq_length',
  'n_positions',
] as const;

/**
 * Families whose config has a more specific field ahead of the general order: Qwen v1 keeps
 * max_position_embeddings at the RoPE table size (32768) but trains and serves seq_length
 * (8192); Baichuan's tokenizer-facing model_max_length is the supported length.
 */
const PREFERRED_KEY: Record<string, string> = { qwen: 'seq_length', baichuan: 'model_max_length' };

export function contextLength(config: JsonObject): number | undefined {
  const text = languageConfig(config);
  const type = getString(config, 'model_type');
  const preferred =
    type !== undefined && Object.hasOwn(PREFERRED_KEY, type) ? PREFERRED_KEY[type] : undefined;
  const keys = preferred !== undefined ? [preferred, ...CONTEXT_LENGTH_KEYS] : CONTEXT_LENGTH_KEYS;
  // A nested config without a length falls back to the top level.
  return firstPositiveInt(text, keys) ?? firstPositiveInt(config, keys);
}

const INT32_MAX = 2 ** 31 - 1;

/** `spec.maxTokens` is an int32: a length that does not fit is left out. */
export function maxTokensField(length: number | undefined): number | undefined {
  return length !== undefined && length <= INT32_MAX ? length : undefined;
}
