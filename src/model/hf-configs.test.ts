// The inspector on every config of the shared Hugging Face reference set, compared column by
// column with EXPECTED.tsv (see its README). Each file is placed in a model directory of its
// own under the name it has in a real repository; the sentence-transformers sidecar is also
// placed beside the model it belongs to (Qwen3-Embedding-8B), as in the published repo.
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { tempDir } from './fixtures.ts';
import { NotAModelError, inspectModel } from './inspect.ts';
import { formatParameterSize } from './parameters.ts';
import type { ModelInspection } from './types.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const configsDir = path.resolve(repoRoot, '../shared/reference/hf-configs');
const SIDECAR = 'config_sentence_transformers.json';
/** Model file -> sidecar files of its repository. */
const COMPANIONS: Record<string, string[]> = { 'qwen3_embedding_8b.json': [SIDECAR] };

interface Row {
  file: string;
  model_type: string;
  architecture: string;
  context_length: string;
  quantization: string;
  capability: string;
  params_ome: string;
  params_published: string;
}

const COLUMNS = [
  'model_type',
  'architecture',
  'context_length',
  'quantization',
  'capability',
] as const;
type Column = (typeof COLUMNS)[number];

async function readExpected(): Promise<Row[]> {
  const [header, ...lines] = (await readFile(path.join(configsDir, 'EXPECTED.tsv'), 'utf8'))
    .trimEnd()
    .split('\n');
  const names = (header ?? '').split('\t');
  return lines.map((line) => {
    const cells = line.split('\t');
    return Object.fromEntries(names.map((n, i) => [n, cells[i] ?? ''])) as unknown as Row;
  });
}

/** `8.03B` -> 8.03e9. */
function parseSize(text: string): number | undefined {
  const m = /^([\d.]+)([KMBT])$/.exec(text);
  return m
    ? Number(m[1]) * { K: 1e3, M: 1e6, B: 1e9, T: 1e12 }[m[2] as 'K' | 'M' | 'B' | 'T']
    : undefined;
}

function actualCells(i: ModelInspection | undefined): Record<Column, string> {
  const m = i?.metadata;
  return {
    model_type: m?.modelType ?? '',
    architecture: m?.modelArchitecture ?? '',
    context_length: m?.maxTokens !== undefined ? String(m.maxTokens) : '',
    quantization: m?.quantization ?? '',
    capability: m?.modelCapabilities?.[0] ?? '',
  };
}

const percent = (n: number, of: number) => (of === 0 ? 100 : (100 * n) / of);

describe(
  'inspector vs. hf-configs/EXPECTED.tsv',
  { skip: existsSync(configsDir) ? false : `${configsDir} not found` },
  () => {
    let work = '';
    let cleanup = async () => {};
    const results = new Map<string, ModelInspection | undefined>();
    let rows: Row[] = [];

    before(async () => {
      ({ dir: work, cleanup } = await tempDir('nbv-hf-configs-'));
      rows = await readExpected();
      for (const [n, row] of rows.entries()) {
        const modelDir = path.join(work, String(n));
        await mkdir(modelDir);
        const name = row.file === SIDECAR ? SIDECAR : 'config.json';
        await copyFile(path.join(configsDir, row.file), path.join(modelDir, name));
        for (const extra of COMPANIONS[row.file] ?? [])
          await copyFile(path.join(configsDir, extra), path.join(modelDir, extra));
        try {
          results.set(row.file, await inspectModel(modelDir));
        } catch (err) {
          if (!(err instanceof NotAModelError)) throw err;
          results.set(row.file, undefined);
        }
      }
    });
    after(() => cleanup());

    it('covers every file of the reference set', async () => {
      const { readdir } = await import('node:fs/promises');
      const files = (await readdir(configsDir, { recursive: true }))
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.split(path.sep).join('/'));
      assert.deepEqual(rows.map((r) => r.file).sort(), files.sort());
    });

    it('agrees with EXPECTED.tsv on >= 95% per column, and on parameter counts within 10%', () => {
      const lines: string[] = [];
      const agreement: Record<string, number> = {};
      for (const column of COLUMNS) {
        const misses: string[] = [];
        for (const row of rows) {
          const got = actualCells(results.get(row.file))[column];
          if (got !== row[column])
            misses.push(`${row.file}: got "${got}", expected "${row[column]}"`);
        }
        agreement[column] = percent(rows.length - misses.length, rows.length);
        lines.push(
          `${column.padEnd(16)} ${agreement[column]?.toFixed(1)}% (${rows.length - misses.length}/${rows.length})`,
        );
        for (const miss of misses) lines.push(`    ${miss}`);
      }

      const withParams = rows.filter((r) => parseSize(r.params_published) !== undefined);
      const deviations = withParams.map((r) => {
        const expected = parseSize(r.params_published) ?? 0;
        const got = results.get(r.file)?.parameterCount ?? 0;
        return {
          file: r.file,
          published: r.params_published,
          got,
          dev: (got - expected) / expected,
        };
      });
      const within10 = deviations.filter((d) => Math.abs(d.dev) <= 0.1).length;
      const within1 = deviations.filter((d) => Math.abs(d.dev) <= 0.01).length;
      agreement.params = percent(within10, withParams.length);
      const median =
        [...deviations.map((d) => Math.abs(d.dev))].sort((a, b) => a - b)[
          Math.floor(deviations.length / 2)
        ] ?? 0;
      lines.push(
        `params_published ${agreement.params.toFixed(1)}% within ±10% (${within10}/${withParams.length}), ` +
          `${percent(within1, withParams.length).toFixed(1)}% within ±1%, median |deviation| ${(100 * median).toFixed(2)}%`,
      );
      for (const d of deviations.filter((x) => Math.abs(x.dev) > 0.01)) {
        lines.push(
          `    ${d.file}: ${formatParameterSize(d.got)} vs ${d.published} (${(100 * d.dev).toFixed(1)}%)`,
        );
      }
      console.log(`\nhf-configs agreement (${rows.length} files):\n${lines.join('\n')}\n`);

      for (const column of [
        'model_type',
        'architecture',
        'context_length',
        'capability',
        'quantization',
      ] as const) {
        assert.ok((agreement[column] ?? 0) >= 95, `${column}: ${agreement[column]}% < 95%`);
      }
      assert.ok(agreement.params >= 95, `params within ±10%: ${agreement.params}% < 95%`);
    });
  },
);
