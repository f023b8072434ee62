import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capabilitiesOf } from './capabilities.ts';
import {
  dtypeOf,
  firstPositiveInt,
  getPositiveInt,
  languageConfig,
  quantizationOf,
  visionConfig,
} from './config.ts';
import { contextLength, maxTokensField } from './context-length.ts';

const plain = { layout: 'transformers' as const, sentenceTransformers: false };

describe('config accessors', () => {
  it('accept only positive safe integers as sizes', () => {
    const cfg = { a: 0, b: -1, c: 1.5, d: '4', e: null, f: 8, g: 2 ** 60 };
    for (const key of ['a', 'b', 'c', 'd', 'e', 'g', 'missing'])
      assert.equal(getPositiveInt(cfg, key), undefined, key);
    assert.equal(getPositiveInt(cfg, 'f'), 8);
    assert.equal(firstPositiveInt(cfg, ['a', 'e', 'f']), 8);
  });

  it('find the language config in text_config, llm_config or language_config', () => {
    for (const key of ['text_config', 'llm_config', 'language_config']) {
      assert.equal(languageConfig({ [key]: { hidden_size: 7 } }).hidden_size, 7, key);
    }
    assert.equal(languageConfig({ hidden_size: 3 }).hidden_size, 3);
  });

  it('fill in transformers class defaults only where a field is absent', () => {
    const llava = { model_type: 'llava', text_config: { model_type: 'llama', vocab_size: 32064 } };
    assert.equal(languageConfig(llava).hidden_size, 4096);
    assert.equal(languageConfig(llava).vocab_size, 32064);
    // Gemma 3 text configs may omit model_type: the family tells which defaults apply.
    assert.equal(
      languageConfig({ model_type: 'gemma3', text_config: { hidden_size: 5376 } }).vocab_size,
      262208,
    );
    assert.equal(
      visionConfig({ vision_config: { model_type: 'siglip_vision_model' } })?.patch_size,
      16,
    );
  });

  it('read the dtype from torch_dtype or dtype, also nested', () => {
    assert.equal(dtypeOf({ torch_dtype: 'bfloat16' }), 'bfloat16');
    assert.equal(dtypeOf({ dtype: 'float16' }), 'float16');
    assert.equal(dtypeOf({ text_config: { dtype: 'bfloat16' } }), 'bfloat16');
    assert.equal(dtypeOf({ torch_dtype: 'torch.float32' }), 'float32');
    assert.equal(dtypeOf({}), undefined);
  });

  it('read the quantization from quantization_config or hf_quant_config.json', () => {
    assert.equal(quantizationOf({ quantization_config: { quant_method: 'fp8' } }), 'fp8');
    assert.equal(
      quantizationOf({ text_config: { quantization_config: { quant_method: 'awq' } } }),
      'awq',
    );
    assert.equal(
      quantizationOf({}, { producer: { name: 'modelopt' }, quantization: { quant_algo: 'NVFP4' } }),
      'nvfp4',
    );
    assert.equal(quantizationOf({}), undefined);
  });
});

describe('context length', () => {
  it('takes the first present field in the documented order', () => {
    assert.equal(contextLength({ n_positions: 1024, max_seq_len: 4096 }), 4096);
    assert.equal(contextLength({ seq_length: 8192 }), 8192);
    assert.equal(contextLength({ max_sequence_length: 512, seq_length: 8 }), 512);
    assert.equal(contextLength({}), undefined);
  });

  it('prefers the nested language config', () => {
    assert.equal(
      contextLength({
        max_position_embeddings: 20,
        text_config: { max_position_embeddings: 131072 },
      }),
      131072,
    );
  });

  it('applies the Qwen v1 and Baichuan rules', () => {
    assert.equal(
      contextLength({ model_type: 'qwen', seq_length: 8192, max_position_embeddings: 32768 }),
      8192,
    );
    assert.equal(
      contextLength({ model_type: 'qwen2', seq_length: 8192, max_position_embeddings: 32768 }),
      32768,
    );
    assert.equal(
      contextLength({
        model_type: 'baichuan',
        model_max_length: 4096,
        max_position_embeddings: 8192,
      }),
      4096,
    );
  });

  it('gives Gemma 3 its 128K default when the config has no length', () => {
    assert.equal(
      contextLength({ model_type: 'gemma3', text_config: { model_type: 'gemma3_text' } }),
      131072,
    );
  });

  it('leaves out lengths that do not fit an int32', () => {
    assert.equal(maxTokensField(2 ** 31), undefined);
    assert.equal(maxTokensField(10485760), 10485760);
  });
});

describe('capabilities', () => {
  it('recognises causal LMs, including reward heads', () => {
    assert.deepEqual(
      capabilitiesOf({ model_type: 'llama', architectures: ['LlamaForCausalLM'] }, plain),
      ['TEXT_TO_TEXT'],
    );
    assert.deepEqual(
      capabilitiesOf(
        { model_type: 'llama', architectures: ['LlamaForSequenceClassification'] },
        plain,
      ),
      ['TEXT_TO_TEXT'],
    );
    assert.deepEqual(
      capabilitiesOf({ model_type: 'qwen', architectures: ['QWenLMHeadModel'] }, plain),
      ['TEXT_TO_TEXT'],
    );
  });

  it('recognises embedding models by their evidence', () => {
    assert.deepEqual(capabilitiesOf({ model_type: 'bert', architectures: ['BertModel'] }, plain), [
      'EMBEDDING',
    ]);
    assert.deepEqual(
      capabilitiesOf({ model_type: 'mistral', architectures: ['MistralModel'] }, plain),
      ['EMBEDDING'],
    );
    assert.deepEqual(
      capabilitiesOf(
        { model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'], is_causal: false },
        plain,
      ),
      ['EMBEDDING'],
    );
    const qwen3 = { model_type: 'qwen3', architectures: ['Qwen3ForCausalLM'] };
    assert.deepEqual(capabilitiesOf(qwen3, plain), ['TEXT_TO_TEXT']);
    assert.deepEqual(capabilitiesOf(qwen3, { ...plain, sentenceTransformers: true }), [
      'EMBEDDING',
    ]);
  });

  it('recognises rerankers on encoders', () => {
    assert.deepEqual(
      capabilitiesOf(
        { model_type: 'xlm-roberta', architectures: ['XLMRobertaForSequenceClassification'] },
        plain,
      ),
      ['RERANK'],
    );
  });

  it('keeps custom-code causal LMs that name a bare *Model class', () => {
    const chatglm = {
      model_type: 'chatglm',
      architectures: ['ChatGLMModel'],
      auto_map: { AutoModelForCausalLM: 'modeling_chatglm.ChatGLMForConditionalGeneration' },
    };
    assert.deepEqual(capabilitiesOf(chatglm, plain), ['TEXT_TO_TEXT']);
  });

  it('recognises vision-language, audio and diffusers models', () => {
    assert.deepEqual(
      capabilitiesOf(
        {
          model_type: 'llava',
          architectures: ['LlavaForConditionalGeneration'],
          vision_config: {},
        },
        plain,
      ),
      ['IMAGE_TEXT_TO_TEXT'],
    );
    assert.deepEqual(
      capabilitiesOf(
        { model_type: 'multi_modality', vision_config: {}, gen_vision_config: {} },
        plain,
      ),
      ['IMAGE_TEXT_TO_TEXT', 'TEXT_TO_IMAGE'],
    );
    assert.deepEqual(
      capabilitiesOf(
        { model_type: 'whisper', architectures: ['WhisperForConditionalGeneration'] },
        plain,
      ),
      ['AUDIO_TO_TEXT'],
    );
    assert.deepEqual(
      capabilitiesOf({ _class_name: 'FluxPipeline' }, { ...plain, layout: 'diffusers' }),
      ['TEXT_TO_IMAGE'],
    );
  });

  it('claims nothing for a config that names no model', () => {
    assert.deepEqual(capabilitiesOf({ similarity_fn_name: 'cosine' }, plain), []);
  });
});
