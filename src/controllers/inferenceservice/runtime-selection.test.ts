import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnyBaseModel, AnyServingRuntime } from '../../api/ome.ts';
import { selectRuntime } from './runtime-selection.ts';

const model = {
  apiVersion: 'ome.io/v1beta1',
  kind: 'BaseModel',
  metadata: { name: 'qwen', namespace: 'ns' },
  spec: {
    storage: { storageUri: 'pvc://c/q' },
    modelFormat: { name: 'safetensors', operator: 'Equal', weight: 1 },
    modelFramework: { name: 'transformers', operator: 'Equal', weight: 1 },
    modelArchitecture: 'Qwen2ForCausalLM',
    modelParameterSize: '3.09B',
  },
} as AnyBaseModel;

function rt(
  name: string,
  over: Record<string, unknown> = {},
  kind = 'ClusterServingRuntime',
): AnyServingRuntime {
  return {
    apiVersion: 'ome.io/v1beta1',
    kind,
    metadata: { name },
    spec: {
      supportedModelFormats: [
        {
          modelFormat: { name: 'safetensors' },
          modelArchitecture: 'Qwen2ForCausalLM',
          autoSelect: true,
          priority: 1,
        },
      ],
      modelSizeRange: { min: '2B', max: '4B' },
      ...over,
    },
  } as AnyServingRuntime;
}

describe('selectRuntime', () => {
  it('auto-selects the highest priority compatible runtime', () => {
    const high = rt('high', {
      supportedModelFormats: [
        { modelFormat: { name: 'safetensors' }, autoSelect: true, priority: 5 },
      ],
    });
    const choice = selectRuntime(model, [rt('low'), high]);
    assert.ok(choice.ok);
    assert.equal(choice.runtime.metadata.name, 'high');
  });

  it('skips disabled runtimes, wrong architectures, sizes out of range and non-auto-select formats', () => {
    const runtimes = [
      rt('disabled', { disabled: true }),
      rt('llama', {
        supportedModelFormats: [{ modelArchitecture: 'LlamaForCausalLM', autoSelect: true }],
      }),
      rt('big', { modelSizeRange: { min: '7B', max: '70B' } }),
      rt('manual', {
        supportedModelFormats: [{ modelFormat: { name: 'safetensors' }, autoSelect: false }],
      }),
    ];
    const choice = selectRuntime(model, runtimes);
    assert.equal(choice.ok, false);
    assert.equal(!choice.ok && choice.reason, 'NoRuntimeFound');
  });

  it('prefers a namespaced runtime on equal priority', () => {
    const choice = selectRuntime(model, [
      rt('a-cluster'),
      rt('z-namespaced', {}, 'ServingRuntime'),
    ]);
    assert.ok(choice.ok);
    assert.equal(choice.runtime.kind, 'ServingRuntime');
  });

  it('checks a named runtime', () => {
    assert.equal(selectRuntime(model, [rt('x')], 'missing').ok, false);
    const disabled = selectRuntime(model, [rt('x', { disabled: true })], 'x');
    assert.equal(!disabled.ok && disabled.reason, 'RuntimeDisabled');
    const wrong = selectRuntime(
      model,
      [rt('x', { supportedModelFormats: [{ modelArchitecture: 'Other' }] })],
      'x',
    );
    assert.equal(!wrong.ok && wrong.reason, 'RuntimeNotCompatible');
    assert.ok(
      selectRuntime(
        model,
        [
          rt('x', {
            supportedModelFormats: [{ modelFormat: { name: 'safetensors' }, autoSelect: false }],
          }),
        ],
        'x',
      ).ok,
    );
  });
});
