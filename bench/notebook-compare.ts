// Benchmark: golden comparison of two 2,000-cell notebooks with about 20 MB of outputs each
// (text, tables, images; timestamps and float noise in some cells, one inserted cell, a few
// real differences), against nbdime's diff of the same pair as the baseline.
// Run: node bench/notebook-compare.ts [--runs N] [--nbdime-runs N]
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ComparisonConfig } from '../src/api/notebookvalidationjob.ts';
import { compareNotebooks } from '../src/notebook/compare.ts';
import { parseNotebook, type Cell, type Notebook } from '../src/notebook/ipynb.ts';
import { findPython } from '../src/notebook/python.ts';
import { median } from './lib/stats.ts';

export const TARGET_MS = 300;
const CELLS = 2000;

/** Deterministic pseudo-random numbers, so both notebooks and every run see the same data. */
function rng(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
}

function cell(i: number, variant: 'golden' | 'actual', rand: () => number): Cell {
  const noisy = variant === 'actual' && i % 20 === 0; // timestamps and float noise only
  const changed = variant === 'actual' && i % 200 === 7; // real differences
  const lines: string[] = [];
  for (let l = 0; l < 75; l++) {
    const value = (i * 0.001 + l * 0.37) * (noisy ? 1 + 1e-9 : 1);
    lines.push(
      `epoch ${l} loss ${value.toFixed(12)} acc ${(rand() * 0 + 0.5 + l / 1000).toFixed(6)} at ${noisy ? '2026-11-21 12:00:00' : '2024-03-01 09:15:02'} took ${noisy ? 1.7 : 0.2}s ${changed && l === 30 ? 'DIVERGED' : 'ok'}`,
    );
  }
  const outputs: Cell['outputs'] = [
    { output_type: 'stream', name: 'stdout', text: `${lines.join('\n')}\n` },
  ];
  if (i % 10 === 0)
    outputs.push({
      output_type: 'display_data',
      data: {
        'image/png': randomBytesFor(i, 24_000),
        'text/plain': '<Figure size 640x480 with 1 Axes>',
      },
      metadata: {},
    });
  if (i % 10 === 5) {
    const rows = Array.from(
      { length: 20 },
      (_, r) => `<tr><td>${r}</td><td>${(r * 1.5).toFixed(3)}</td><td>row ${r}</td></tr>`,
    ).join('');
    outputs.push({
      output_type: 'execute_result',
      data: { 'text/html': `<table class="dataframe">${rows}</table>`, 'text/plain': `table ${i}` },
      metadata: {},
      execution_count: i,
    });
  }
  return {
    cell_type: 'code',
    source: `train(step=${i})\nreport(${i})`,
    metadata: {},
    outputs,
    execution_count: i,
  };
}

const images = new Map<number, string>();
function randomBytesFor(i: number, size: number): string {
  const key = i % 50;
  if (!images.has(key)) images.set(key, randomBytes(size).toString('base64'));
  return images.get(key) as string;
}

function makeNotebook(variant: 'golden' | 'actual'): Notebook {
  const rand = rng(42);
  const cells: Cell[] = [];
  for (let i = 0; i < CELLS; i++) {
    if (i % 100 === 0)
      cells.push({ cell_type: 'markdown', source: `## Part ${i / 100}`, metadata: {} });
    cells.push(cell(i, variant, rand));
    if (variant === 'actual' && i === 1000)
      cells.push({
        cell_type: 'code',
        source: 'print("inserted")',
        metadata: {},
        outputs: [{ output_type: 'stream', name: 'stdout', text: 'inserted\n' }],
        execution_count: 0,
      });
  }
  return { nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'python3' } }, cells };
}

function nbdimeMedian(
  python: string,
  golden: string,
  actual: string,
  runs: number,
): number | string {
  const code = `
import sys, time, json, nbformat
from nbdime import diff_notebooks
a = nbformat.read(sys.argv[1], as_version=4); b = nbformat.read(sys.argv[2], as_version=4)
times = []
for _ in range(int(sys.argv[3])):
    t = time.perf_counter(); diff_notebooks(a, b); times.append((time.perf_counter() - t) * 1000)
print(json.dumps(sorted(times)[len(times) // 2]))
`;
  const r = spawnSync(python, ['-c', code, golden, actual, String(runs)], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status !== 0)
    return `nbdime failed: ${(r.stderr || r.error?.message || '').trim().split('\n').at(-1)}`;
  return Number(r.stdout.trim());
}

export function main(): void {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '7' },
      'nbdime-runs': { type: 'string', default: '1' },
    },
  });
  const golden = JSON.stringify(makeNotebook('golden'));
  const actual = JSON.stringify(makeNotebook('actual'));
  const config = ComparisonConfig.parse({});
  const compareTimes: number[] = [];
  const totalTimes: number[] = [];
  let result;
  for (let r = 0; r < Number(values.runs); r++) {
    const t0 = performance.now();
    const g = parseNotebook(golden, 'golden');
    const a = parseNotebook(actual, 'actual');
    const t1 = performance.now();
    result = compareNotebooks(g, a, { config });
    const t2 = performance.now();
    compareTimes.push(t2 - t1);
    totalTimes.push(t2 - t0);
  }
  const mb = (s: string) => (Buffer.byteLength(s) / 1e6).toFixed(1);
  console.log(
    `notebooks: ${CELLS} code cells each, ${mb(golden)} MB and ${mb(actual)} MB of ipynb`,
  );
  console.log(
    `result: ${result?.result}, ${result?.mismatchedCells} of ${result?.totalCells} cells differ (${result?.diffs?.map((d) => `${d.cellIndex}:${d.diffType}`).join(', ')})`,
  );
  const cmp = median(compareTimes);
  console.log(
    `nbv compare median ${cmp.toFixed(1)} ms (target < ${TARGET_MS} ms) ${cmp < TARGET_MS ? 'OK' : 'OVER'}`,
  );
  console.log(`nbv parse + compare median ${median(totalTimes).toFixed(1)} ms`);
  const python = findPython(process.env);
  if (!python) {
    console.log('nbdime baseline: skipped (no Python environment: run nbv setup)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nbv-bench-'));
  writeFileSync(join(dir, 'golden.ipynb'), golden);
  writeFileSync(join(dir, 'actual.ipynb'), actual);
  const nbdime = nbdimeMedian(
    python.python,
    join(dir, 'golden.ipynb'),
    join(dir, 'actual.ipynb'),
    Number(values['nbdime-runs']),
  );
  if (typeof nbdime === 'string') console.log(`nbdime baseline: ${nbdime}`);
  else
    console.log(
      `nbdime diff_notebooks median ${nbdime.toFixed(0)} ms; nbv is ${(nbdime / cmp).toFixed(1)}x faster (compare), ${(nbdime / median(totalTimes)).toFixed(1)}x (parse + compare)`,
    );
  if (cmp >= TARGET_MS) process.exitCode = 1;
}

main();
