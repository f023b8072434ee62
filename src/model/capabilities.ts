// What a model does, in OME's capability names, from the evidence in its config. The rules go
// from the most specific evidence (a diffusers pipeline, a sentence-transformers sidecar, an
// explicit is_causal=false) to the most general (a causal LM head).
import { architectureOf, getBoolean, getObject, getString } from './config.ts';
import type { JsonObject } from './json.ts';
import type { ModelCapability } from './types.ts';

export interface CapabilityEvidence {
  layout: 'transformers' | 'diffusers';
  /** A sentence-transformers sidecar (config_sentence_transformers.json, modules.json) is present. */
  sentenceTransformers: boolean;
}

/** Encoder-only families: their checkpoints embed or score text; they do not generate it. */
const ENCODER_TYPES = new Set([
  'bert',
  'roberta',
  'xlm-roberta',
  'xlm-roberta-xl',
  'distilbert',
  'camembert',
  'albert',
  'electra',
  'deberta',
  'deberta-v2',
  'mpnet',
  'nomic_bert',
  'new',
  'modernbert',
  'jina_bert',
  'ernie',
]);

const AUDIO_TYPES = new Set([
  'whisper',
  'speech_to_text',
  'speech_encoder_decoder',
  'wav2vec2',
  'hubert',
  'wavlm',
  'qwen2_audio',
]);

/** Keys through which configs describe an image encoder. */
const VISION_KEYS = [
  'vision_config',
  'vision_tower',
  'mm_vision_tower',
  'img_processor',
  'visual',
  'vision_encoder',
];

const GENERATIVE_HEAD =
  /(ForCausalLM|LMHeadModel|ForConditionalGeneration|ForSeq2SeqLM|ForMaskedLM)$/;
const SCORING_HEAD = /(ForSequenceClassification|RewardModel|ForTokenClassification)$/;

/** An architecture with no task head (`BertModel`, `MistralModel`, `CLIPVisionModelWithProjection`). */
function isHeadlessArchitecture(arch: string): boolean {
  return (
    /Model(WithProjection)?$/.test(arch) && !GENERATIVE_HEAD.test(arch) && !SCORING_HEAD.test(arch)
  );
}

/** Custom-code models (ChatGLM) name a bare `*Model` class but map AutoModelForCausalLM. */
function autoMapsCausalLm(config: JsonObject): boolean {
  const autoMap = getObject(config, 'auto_map');
  return (
    autoMap !== undefined &&
    ('AutoModelForCausalLM' in autoMap || 'AutoModelForSeq2SeqLM' in autoMap)
  );
}

/** A bare encoder/decoder stack with no head at all (custom-code causal LMs excepted). */
function isBareModel(config: JsonObject): boolean {
  return isHeadlessArchitecture(architectureOf(config) ?? '') && !autoMapsCausalLm(config);
}

/** The checkpoint has no LM head: a bare model, or a reward/classification head instead. */
export function lacksLmHead(config: JsonObject): boolean {
  return isBareModel(config) || SCORING_HEAD.test(architectureOf(config) ?? '');
}

/** Capabilities that generate text token by token (a KV cache, a tokenizer to decode). */
export function isGenerative(capabilities: readonly ModelCapability[]): boolean {
  return capabilities.some(
    (c) => c === 'TEXT_TO_TEXT' || c === 'IMAGE_TEXT_TO_TEXT' || c === 'AUDIO_TO_TEXT',
  );
}

function hasVision(config: JsonObject): boolean {
  return VISION_KEYS.some((key) => config[key] !== undefined && config[key] !== null);
}

export function capabilitiesOf(
  config: JsonObject,
  evidence: CapabilityEvidence,
): ModelCapability[] {
  if (evidence.layout === 'diffusers') return ['TEXT_TO_IMAGE'];
  const type = getString(config, 'model_type') ?? '';
  const arch = architectureOf(config) ?? '';
  if (type === '' && arch === '') return [];

  if (
    AUDIO_TYPES.has(type) ||
    /ForSpeechSeq2Seq$|ForCTC$/.test(arch) ||
    getObject(config, 'audio_config')
  ) {
    return ['AUDIO_TO_TEXT'];
  }
  if (evidence.sentenceTransformers || getBoolean(config, 'is_causal') === false)
    return ['EMBEDDING'];
  if (ENCODER_TYPES.has(type)) return SCORING_HEAD.test(arch) ? ['RERANK'] : ['EMBEDDING'];
  if (isBareModel(config)) return ['EMBEDDING'];
  if (hasVision(config)) {
    // Janus-style models also generate images through a separate generation tower.
    return getObject(config, 'gen_vision_config')
      ? ['IMAGE_TEXT_TO_TEXT', 'TEXT_TO_IMAGE']
      : ['IMAGE_TEXT_TO_TEXT'];
  }
  // Causal LMs, and reward/classification heads on them (OME has no scoring capability).
  return ['TEXT_TO_TEXT'];
}
