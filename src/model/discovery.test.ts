import assert from 'node:assert/strict';
import { mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  discoverConfig,
  DEFAULT_DISCOVERY_OPTIONS,
  type Discovered,
  type NotDiscovered,
} from './discovery.ts';
import { tempDir, writeModelFile } from './fixtures.ts';
import { ModelDir } from './model-fs.ts';

let root = '';
let cleanup = async () => {};
beforeEach(async () => {
  const t = await tempDir();
  root = await realpath(t.dir);
  cleanup = t.cleanup;
});
afterEach(() => cleanup());

const put = (rel: string, body: unknown = { model_type: 'llama' }) =>
  writeModelFile(root, rel, body);

function found(result: Discovered | NotDiscovered): Discovered {
  assert.ok('configFile' in result, `expected a config, searched ${JSON.stringify(result)}`);
  return result;
}

describe('config discovery', () => {
  it('prefers model_index.json (diffusers) over config.json', async () => {
    await put('config.json');
    await put('model_index.json', { _class_name: 'FluxPipeline' });
    const r = found(await discoverConfig(new ModelDir(root)));
    assert.equal(r.configFile, 'model_index.json');
    assert.equal(r.layout, 'diffusers');
  });

  it('uses config.json at the root, then safetensors/, pytorch_model/, model/', async () => {
    await put('model/config.json');
    await put('pytorch_model/config.json');
    assert.equal(
      found(await discoverConfig(new ModelDir(root))).configFile,
      'pytorch_model/config.json',
    );
    await put('safetensors/config.json');
    assert.equal(
      found(await discoverConfig(new ModelDir(root))).configFile,
      'safetensors/config.json',
    );
    await put('config.json');
    const r = found(await discoverConfig(new ModelDir(root)));
    assert.equal(r.configFile, 'config.json');
    assert.equal(r.modelRoot, '');
  });

  it('searches sub-folders breadth-first, skipping non-model configs', async () => {
    await put('a/b/c/config.json');
    await put('out/1_Pooling/config.json', { word_embedding_dimension: 1024 });
    await put('out/final/config.json', {
      model_type: 'qwen2',
      architectures: ['Qwen2ForCausalLM'],
    });
    const r = found(await discoverConfig(new ModelDir(root)));
    assert.equal(r.configFile, 'out/final/config.json');
    assert.equal(r.modelRoot, 'out/final');
  });

  it('warns when several configs tie, and picks the first by name', async () => {
    await put('runs/checkpoint-500/config.json');
    await put('runs/checkpoint-1000/config.json');
    const r = found(await discoverConfig(new ModelDir(root)));
    assert.equal(r.configFile, 'runs/checkpoint-1000/config.json');
    assert.deepEqual(
      r.findings.map((f) => f.code),
      ['config-ambiguous'],
    );
  });

  it('bounds the search depth and entry count', async () => {
    await put('a/b/c/d/config.json');
    const deep = await discoverConfig(new ModelDir(root));
    assert.ok('searched' in deep);
    assert.equal(
      found(await discoverConfig(new ModelDir(root), { ...DEFAULT_DISCOVERY_OPTIONS, maxDepth: 4 }))
        .configFile,
      'a/b/c/d/config.json',
    );

    for (let i = 0; i < 30; i++) await mkdir(path.join(root, `dir${String(i).padStart(2, '0')}`));
    await put('zz/config.json');
    const capped = await discoverConfig(new ModelDir(root), {
      ...DEFAULT_DISCOVERY_OPTIONS,
      maxEntries: 20,
    });
    assert.ok('searched' in capped);
    assert.deepEqual(
      capped.findings.map((f) => f.code),
      ['search-truncated'],
    );
  });

  it('skips hidden folders', async () => {
    await put('.cache/x/config.json');
    assert.ok('searched' in (await discoverConfig(new ModelDir(root))));
  });

  it('never follows a config symlink out of the directory', async () => {
    const outside = await tempDir();
    try {
      await writeFile(path.join(outside.dir, 'config.json'), '{"model_type":"llama"}');
      await symlink(path.join(outside.dir, 'config.json'), path.join(root, 'config.json'));
      const r = await discoverConfig(new ModelDir(root));
      assert.ok('searched' in r);
      assert.deepEqual(
        r.findings.map((f) => f.code),
        ['symlink-escapes'],
      );
    } finally {
      await outside.cleanup();
    }
  });

  it('follows a symlink that stays inside, and reports a dangling one', async () => {
    await put('real/config.json');
    await symlink('real/config.json', path.join(root, 'config.json'));
    assert.equal(found(await discoverConfig(new ModelDir(root))).configFile, 'config.json');
    await symlink('nowhere.json', path.join(root, 'model_index.json'));
    const r = found(await discoverConfig(new ModelDir(root)));
    assert.equal(r.configFile, 'config.json');
    assert.deepEqual(
      r.findings.map((f) => f.code),
      ['symlink-dangling'],
    );
  });

  it('does not follow symlinked folders during the search', async () => {
    const outside = await tempDir();
    try {
      await mkdir(path.join(outside.dir, 'm'));
      await writeFile(path.join(outside.dir, 'm', 'config.json'), '{"model_type":"llama"}');
      await symlink(path.join(outside.dir, 'm'), path.join(root, 'linked'));
      assert.ok('searched' in (await discoverConfig(new ModelDir(root))));
    } finally {
      await outside.cleanup();
    }
  });
});
