import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { installGeneratedFiles } from './generated.ts';

const repoRoot = new URL('../../', import.meta.url);

describe('generated install files', () => {
  it('committed files are what the code generates (run `npm run generate`)', () => {
    for (const [path, content] of installGeneratedFiles()) {
      const url = new URL(path, repoRoot);
      assert.ok(existsSync(url), `${path} is missing: run npm run generate`);
      assert.equal(readFileSync(url, 'utf8'), content, `${path} is stale: run npm run generate`);
    }
  });

  it('leaves no file behind in the generated folders', () => {
    const generated = new Set(installGeneratedFiles().keys());
    for (const dir of [
      'config/rbac',
      'config/manager',
      'config/webhook',
      'config/default',
      'config/certmanager',
      'config/prometheus',
      'charts/nbv/crds',
      'charts/nbv/files',
    ]) {
      for (const name of readdirSync(new URL(dir, repoRoot)))
        assert.ok(generated.has(`${dir}/${name}`), `${dir}/${name} is not generated: remove it`);
    }
  });

  it('the API reference has a row per field, with defaults, enums and patterns', () => {
    const reference = installGeneratedFiles().get('docs/api-reference.md') ?? '';
    const row = (path: string) =>
      reference.split('\n').find((l) => l.startsWith(`| \`${path}\` |`));
    assert.match(row('spec.timeout') ?? '', /\| `30m` \|/);
    assert.match(row('spec.comparisonConfig.strategy') ?? '', /one of `exact`, `normalized`/);
    assert.match(row('spec.notebook.path') ?? '', /pattern `\^\.\*\\\.ipynb\$`/);
    assert.match(row('spec.podConfig.volumes[].name') ?? '', /\| yes \|.*length ≤ 63/);
    assert.ok(row('spec.storage.storageUri'), 'BaseModel fields');
    assert.ok(row('status.phase'), 'status fields');
  });

  it('every kustomization names files and folders that exist', () => {
    for (const [path, content] of installGeneratedFiles()) {
      if (!path.endsWith('/kustomization.yaml')) continue;
      const dir = path.slice(0, path.lastIndexOf('/') + 1);
      const k = parse(content) as { resources?: string[]; patches?: { path: string }[] };
      for (const entry of [...(k.resources ?? []), ...(k.patches ?? []).map((p) => p.path)])
        assert.ok(existsSync(new URL(`${dir}${entry}`, repoRoot)), `${path}: ${entry}`);
    }
  });
});
