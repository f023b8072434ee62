import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  TERMINATION_MESSAGE_LIMIT,
  failureResult,
  inspectResult,
  parseInspectResult,
  renderTable,
  terminationMessage,
} from './report.ts';
import type { Finding, ModelInspection } from './types.ts';

function inspection(findings: Finding[] = []): ModelInspection {
  return {
    path: '/model',
    configFile: 'config.json',
    layout: 'transformers',
    metadata: {
      modelType: 'llama',
      modelArchitecture: 'LlamaForCausalLM',
      modelFormat: { name: 'safetensors', version: '1.0.0' },
      modelFramework: { name: 'transformers', version: '4.43.1' },
      modelCapabilities: ['TEXT_TO_TEXT'],
      maxTokens: 131072,
      modelParameterSize: '8.03B',
    },
    dtype: 'bfloat16',
    parameterCount: 8_030_261_248,
    parameterSource: 'safetensors',
    memory: {
      weightsBytes: 16_060_522_496,
      kvCacheBytes: 17_179_869_184,
      kvCacheTokens: 131072,
      totalBytes: 33_240_391_680,
      weightsHuman: '15.0 GiB',
      kvCacheHuman: '16.0 GiB',
      totalHuman: '31.0 GiB',
    },
    weightFiles: ['model-00001-of-00004.safetensors'],
    findings,
  };
}

const manyFindings = (n: number): Finding[] =>
  Array.from({ length: n }, (_, i) => ({
    severity: i < 5 ? 'error' : 'warning',
    code: 'shard-missing',
    message: `model-${String(i).padStart(5, '0')}-of-01000.safetensors is named in model.safetensors.index.json but does not exist`,
    file: `model-${i}.safetensors`,
  }));

describe('termination message', () => {
  it('is the compact result when it fits', () => {
    const text = terminationMessage(inspectResult(inspection()));
    const parsed = parseInspectResult(text);
    assert.equal(parsed.ok, true);
    assert.ok(parsed.ok && parsed.metadata.modelParameterSize === '8.03B');
    assert.ok(!text.includes('\n'));
    assert.ok(!('truncated' in parsed));
  });

  it('keeps to 4 KiB by dropping findings from the end and saying how many', () => {
    const result = inspectResult(inspection(manyFindings(1000)));
    const text = terminationMessage(result);
    assert.ok(
      Buffer.byteLength(text) <= TERMINATION_MESSAGE_LIMIT,
      String(Buffer.byteLength(text)),
    );
    const parsed = parseInspectResult(text);
    assert.equal(parsed.truncated, true);
    assert.ok((parsed.findingsOmitted ?? 0) > 0);
    assert.equal(parsed.findings.length + (parsed.findingsOmitted ?? 0), 1000);
    // Errors come first and are kept first.
    assert.equal(parsed.findings[0]?.severity, 'error');
    assert.ok(parsed.ok && parsed.metadata.modelArchitecture === 'LlamaForCausalLM');
  });

  it('shortens long messages before dropping findings', () => {
    const long: Finding = { severity: 'error', code: 'x', message: 'y'.repeat(5000) };
    const parsed = parseInspectResult(terminationMessage(inspectResult(inspection([long]))));
    assert.equal(parsed.findings.length, 1);
    assert.ok((parsed.findings[0]?.message.length ?? 0) <= 200);
    assert.equal(parsed.truncated, true);
  });

  it('shortens even oversized metadata, keeping under the limit', () => {
    const i = inspection();
    i.metadata.modelArchitecture = 'A'.repeat(10_000);
    i.metadata.diffusionPipeline = {
      additionalComponents: Object.fromEntries(
        Array.from({ length: 500 }, (_, n) => [
          `component_${n}`,
          { library: 'diffusers', type: 'X' },
        ]),
      ),
    };
    const text = terminationMessage(inspectResult(i));
    assert.ok(Buffer.byteLength(text) <= TERMINATION_MESSAGE_LIMIT);
    const parsed = parseInspectResult(text);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.metadata.modelCapabilities, ['TEXT_TO_TEXT']);
    assert.equal(parsed.metadata.modelType, 'llama');
  });

  it('counts bytes, not characters', () => {
    const f: Finding = { severity: 'warning', code: 'x', message: '€'.repeat(150) };
    const text = terminationMessage(inspectResult(inspection(Array.from({ length: 40 }, () => f))));
    assert.ok(Buffer.byteLength(text) <= TERMINATION_MESSAGE_LIMIT);
  });

  it('reports failures', () => {
    const parsed = parseInspectResult(
      terminationMessage(failureResult('no-config', 'no model config in /model')),
    );
    assert.deepEqual(parsed, {
      v: 1,
      ok: false,
      reason: 'no-config',
      error: 'no model config in /model',
      findings: [],
    });
  });

  it('rejects malformed results with the field', () => {
    assert.throws(() => parseInspectResult('nope'), /not JSON/);
    assert.throws(() => parseInspectResult('{"v":1,"ok":true,"findings":[]}'), /invalid at/);
    assert.throws(
      () =>
        parseInspectResult(
          JSON.stringify({ ...inspectResult(inspection()), metadata: { maxTokens: -1 } }),
        ),
      /metadata\.maxTokens/,
    );
  });
});

describe('human table', () => {
  it('shows the metadata, sizes and findings', () => {
    const text = renderTable(
      inspection([
        { severity: 'error', code: 'shard-missing', message: 'a.safetensors does not exist' },
      ]),
    );
    assert.match(text, /^Model {9}\/model$/m);
    assert.match(text, /^Parameters {4}8\.03B \(8,030,261,248, from safetensors headers\)$/m);
    assert.match(text, /^KV cache {6}16\.0 GiB \(131072 tokens, batch 1\)$/m);
    assert.match(text, /^Weights {7}15\.0 GiB in 1 safetensors file\(s\)$/m);
    const estimated = renderTable({ ...inspection(), parameterSource: 'config-estimate' });
    assert.match(
      estimated,
      /^Weights {7}15\.0 GiB \(estimated from the parameter count and dtype\)$/m,
    );
    assert.match(text, /^Preflight {5}1 error\(s\), 0 warning\(s\)$/m);
    assert.match(text, /^ {2}error {4}shard-missing {2}a\.safetensors does not exist$/m);
    assert.match(renderTable(inspection()), /^Preflight {5}ok \(no findings\)$/m);
  });
});
