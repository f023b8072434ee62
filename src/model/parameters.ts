// Parameter counts: exact from safetensors headers, else estimated from the config's
// dimensions. The estimate counts the weight matrices of embeddings, attention (standard, GQA
// and DeepSeek's MLA), dense and mixture-of-experts MLPs, the LM head unless tied, multi-token
// prediction layers and a vision tower; norms and biases (well under 1%) are left out.
import { lacksLmHead } from './capabilities.ts';
import {
  firstPositiveInt,
  getArray,
  getBoolean,
  getNumber,
  getObject,
  getPositiveInt,
  getString,
  languageConfig,
  visionConfig,
} from './config.ts';
import type { JsonObject } from './json.ts';
import type { SafetensorsHeader } from './safetensors.ts';

/** Exact count from the headers of all weight files (throws when it is not a safe integer). */
export function countFromHeaders(
  headers: ReadonlyArray<Pick<SafetensorsHeader, 'parameterCount'>>,
): number {
  const total = headers.reduce((sum, h) => sum + BigInt(h.parameterCount), 0n);
  if (total > BigInt(Number.MAX_SAFE_INTEGER))
    throw new RangeError(`parameter count overflows (${total})`);
  return Number(total);
}

const UNITS = [
  { suffix: 'K', value: 1e3 },
  { suffix: 'M', value: 1e6 },
  { suffix: 'B', value: 1e9 },
  { suffix: 'T', value: 1e12 },
] as const;

/** `8030261248` -> `8.03B`; three significant figures, as the Hub and OME show sizes. */
export function formatParameterSize(count: number): string {
  if (!Number.isFinite(count) || count < 0) throw new RangeError(`not a parameter count: ${count}`);
  if (Math.round(count) < 1000) return String(Math.round(count));
  for (const unit of UNITS) {
    const shown = (count / unit.value).toPrecision(3);
    // The smallest unit that keeps the figure under 1000 (999.7M rounds up to 1.00B).
    if (Number(shown) < 1000) return `${shown}${unit.suffix}`;
  }
  return `${Math.round(count / 1e12)}T`;
}

// ---------------------------------------------------------------------------------------------
// Estimate from the config

/** Families with a plain two-matrix MLP (no gate projection). */
const UNGATED_MLP_TYPES = new Set([
  'bert',
  'roberta',
  'xlm-roberta',
  'distilbert',
  'camembert',
  'electra',
  'deberta',
  'deberta-v2',
  'mpnet',
  'phi',
  'gpt2',
  'gpt_neox',
  'gptj',
  'gpt_bigcode',
  'falcon',
  'opt',
  'bloom',
  'starcoder2',
  'whisper',
  'clip_vision_model',
  'siglip_vision_model',
]);

/** Families whose config class ties input and output embeddings when the key is absent. */
const TIED_BY_DEFAULT = new Set([
  'gemma',
  'gemma2',
  'gemma3',
  'gemma3_text',
  'cohere',
  'cohere2',
  'minicpm',
  'minicpm3',
  'phi3small',
]);

export interface TextDims {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffn: number;
  vocab: number;
}

/** The dimensions of a decoder (or encoder) stack, under the various names configs use. */
export function textDims(text: JsonObject): TextDims | undefined {
  const attn = getObject(text, 'attn_config');
  const ffnConfig = getObject(text, 'ffn_config');
  const hidden = firstPositiveInt(text, ['hidden_size', 'd_model', 'n_embd', 'model_dim']);
  const layers =
    firstPositiveInt(text, ['num_hidden_layers', 'num_layers', 'n_layers', 'n_layer']) ??
    sumOf(getPositiveInt(text, 'encoder_layers'), getPositiveInt(text, 'decoder_layers'));
  if (hidden === undefined || layers === undefined) return undefined;
  const heads =
    firstPositiveInt(text, [
      'num_attention_heads',
      'n_heads',
      'n_head',
      'num_heads',
      'encoder_attention_heads',
    ]) ?? 1;
  const kvHeads =
    (getBoolean(text, 'multi_query_attention') === true
      ? getPositiveInt(text, 'multi_query_group_num')
      : undefined) ??
    firstPositiveInt(text, ['num_key_value_heads', 'n_head_kv', 'num_kv_heads']) ??
    getPositiveInt(attn, 'kv_n_heads') ??
    heads;
  const headDim =
    firstPositiveInt(text, ['head_dim', 'kv_channels', 'd_kv']) ?? Math.floor(hidden / heads);
  let ffn =
    firstPositiveInt(text, [
      'intermediate_size',
      'ffn_hidden_size',
      'ff_intermediate_size',
      'n_inner',
      'd_ff',
      'encoder_ffn_dim',
    ]) ??
    getPositiveInt(ffnConfig, 'ffn_hidden_size') ??
    4 * hidden;
  // Qwen v1 states the width of both MLP branches together.
  if (getString(text, 'model_type') === 'qwen') ffn = Math.floor(ffn / 2);
  const vocab = firstPositiveInt(text, ['padded_vocab_size', 'vocab_size']) ?? 0;
  return { hidden, layers, heads, kvHeads, headDim, ffn, vocab };
}

function sumOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a + b;
}

/** Attention weights of one layer: DeepSeek MLA when kv_lora_rank is set, else (G)QA. */
function attentionParams(text: JsonObject, d: TextDims): number {
  const kvLora = getPositiveInt(text, 'kv_lora_rank');
  if (kvLora !== undefined && getBoolean(text, 'use_mla') !== false) {
    const qLora = getPositiveInt(text, 'q_lora_rank');
    const nope = getNumber(text, 'qk_nope_head_dim') ?? d.headDim;
    const rope = getNumber(text, 'qk_rope_head_dim') ?? 0;
    const vDim = getPositiveInt(text, 'v_head_dim') ?? nope;
    const qOut = d.heads * (nope + rope);
    const q = qLora !== undefined ? d.hidden * qLora + qLora * qOut : d.hidden * qOut;
    const kv = d.hidden * (kvLora + rope) + kvLora * d.heads * (nope + vDim);
    return q + kv + d.heads * vDim * d.hidden;
  }
  const q = d.hidden * d.heads * d.headDim;
  const kv = 2 * d.hidden * d.kvHeads * d.headDim;
  return q + kv + d.heads * d.headDim * d.hidden;
}

function mlpParams(hidden: number, ffn: number, gated: boolean): number {
  return (gated ? 3 : 2) * hidden * ffn;
}

interface MoeShape {
  experts: number;
  expertFfn: number;
  sharedFfn: number;
  denseFfn: number;
  isMoeLayer: (layer: number) => boolean;
}

/** The mixture-of-experts layout, or undefined for a dense model. */
function moeShape(text: JsonObject, d: TextDims): MoeShape | undefined {
  const ffnConfig = getObject(text, 'ffn_config');
  const experts =
    firstPositiveInt(text, [
      'num_local_experts',
      'num_experts',
      'n_routed_experts',
      'moe_num_experts',
    ]) ?? getPositiveInt(ffnConfig, 'moe_num_experts');
  if (experts === undefined || experts < 2) return undefined;
  const expertFfn = getPositiveInt(text, 'moe_intermediate_size') ?? d.ffn;
  const llama4 = getString(text, 'model_type') === 'llama4_text';
  const sharedFfn =
    getPositiveInt(text, 'shared_expert_intermediate_size') ??
    (llama4 ? d.ffn : (getPositiveInt(text, 'n_shared_experts') ?? 0) * expertFfn);
  const denseFfn = (llama4 ? getPositiveInt(text, 'intermediate_size_mlp') : undefined) ?? d.ffn;
  const firstDense = getPositiveInt(text, 'first_k_dense_replace') ?? 0;
  const freq = getPositiveInt(text, 'moe_layer_freq') ?? 1;
  const step = firstPositiveInt(text, ['decoder_sparse_step', 'interleave_moe_layer_step']) ?? 1;
  const denseOnly = new Set(
    (getArray(text, 'mlp_only_layers') ?? []).filter((x) => typeof x === 'number'),
  );
  return {
    experts,
    expertFfn,
    sharedFfn,
    denseFfn,
    isMoeLayer: (i) =>
      i >= firstDense && (i - firstDense) % freq === 0 && (i + 1) % step === 0 && !denseOnly.has(i),
  };
}

/** Weights of one decoder layer (attention + MLP or MoE block). */
function layerParams(
  text: JsonObject,
  d: TextDims,
  moe: MoeShape | undefined,
  gated: boolean,
  i: number,
): number {
  const attention = attentionParams(text, d);
  if (moe === undefined) return attention + mlpParams(d.hidden, d.ffn, gated);
  if (!moe.isMoeLayer(i)) return attention + mlpParams(d.hidden, moe.denseFfn, gated);
  const router = d.hidden * moe.experts;
  return (
    attention +
    router +
    moe.experts * mlpParams(d.hidden, moe.expertFfn, true) +
    mlpParams(d.hidden, moe.sharedFfn, true)
  );
}

/** Whether the checkpoint carries an LM head of its own (not tied, not a headless/scoring model). */
function hasSeparateLmHead(config: JsonObject, text: JsonObject): boolean {
  if (lacksLmHead(config)) return false;
  const tied = getBoolean(text, 'tie_word_embeddings') ?? getBoolean(config, 'tie_word_embeddings');
  if (tied !== undefined) return !tied;
  const type = getString(text, 'model_type') ?? getString(config, 'model_type') ?? '';
  return !TIED_BY_DEFAULT.has(type);
}

/** A ViT-style image encoder plus its projection into the language model. */
function visionParams(vision: JsonObject, textHidden: number): number {
  // Qwen2-VL names the tower width embed_dim and uses hidden_size for the merger's output.
  const embedDim = getPositiveInt(vision, 'embed_dim');
  const width = embedDim ?? firstPositiveInt(vision, ['width', 'hidden_size']);
  const layers = firstPositiveInt(vision, ['depth', 'num_hidden_layers', 'layers']);
  if (width === undefined || layers === undefined) return 0;
  const allLayers = layers + (getPositiveInt(vision, 'num_global_layers') ?? 0);
  const ratio = getNumber(vision, 'mlp_ratio');
  const ffn = getPositiveInt(vision, 'intermediate_size') ?? Math.round((ratio ?? 4) * width);
  const gated = getString(vision, 'hidden_act') === 'silu';
  const perLayer = 4 * width * width + mlpParams(width, ffn, gated);
  const patch = getPositiveInt(vision, 'patch_size') ?? 14;
  const channels = firstPositiveInt(vision, ['num_channels', 'in_chans', 'in_channels']) ?? 3;
  const temporal = getPositiveInt(vision, 'temporal_patch_size') ?? 1;
  const patchEmbed = channels * patch * patch * temporal * width;
  const imageSize = getPositiveInt(vision, 'image_size');
  const positions =
    getPositiveInt(vision, 'num_position_embeddings') ??
    (imageSize ? Math.floor(imageSize / patch) ** 2 : 0);
  const out =
    getPositiveInt(vision, 'out_hidden_size') ??
    (embedDim !== undefined ? getPositiveInt(vision, 'hidden_size') : undefined) ??
    textHidden;
  const merge = getPositiveInt(vision, 'spatial_merge_size');
  let projector = width * out;
  if (merge !== undefined) {
    // Qwen-VL patch merger: an MLP over merge x merge patches, once more per deepstack level.
    const merged = width * merge * merge;
    const mergers = 1 + (getArray(vision, 'deepstack_visual_indexes')?.length ?? 0);
    projector = mergers * (merged * merged + merged * out);
  }
  return allLayers * perLayer + patchEmbed + positions * width + projector;
}

/** An estimate of the parameter count from the config, or undefined when it lacks dimensions. */
export function estimateParameters(config: JsonObject): number | undefined {
  const text = languageConfig(config);
  const d = textDims(text);
  if (d === undefined) return undefined;
  const type = getString(text, 'model_type') ?? getString(config, 'model_type') ?? '';
  const gated = !UNGATED_MLP_TYPES.has(type);
  const moe = moeShape(text, d);
  let layers = 0;
  for (let i = 0; i < d.layers; i++) layers += layerParams(text, d, moe, gated, i);
  // Encoder-decoder stacks: each decoder layer also has cross-attention.
  layers += (getPositiveInt(text, 'decoder_layers') ?? 0) * 4 * d.hidden * d.hidden;
  const embedding = d.vocab * d.hidden;
  const head = hasSeparateLmHead(config, text) ? d.vocab * d.hidden : 0;
  // DeepSeek multi-token prediction layers ship with the checkpoint: a full layer, a 2h x h
  // projection, and their own copies of the embedding and head.
  const mtpCount = getPositiveInt(text, 'num_nextn_predict_layers') ?? 0;
  const mtp =
    mtpCount *
    (layerParams(text, d, moe, gated, d.layers) + 2 * d.hidden * d.hidden + 2 * embedding);
  const vision = visionConfig(config);
  const visionTower = vision ? visionParams(vision, d.hidden) : 0;
  return Math.round(layers + embedding + head + mtp + visionTower);
}
