// Benchmark: `nbv run` (clone over loopback http, sandbox, papermill, report) against plain
// papermill on the same notebook in the same Python, wall time, medians of alternating runs.
// Run: node bench/notebook-run.ts [--runs N] [--notebook training]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ensurePython } from '../src/notebook/python.ts';
import {
  SAMPLES_DIR,
  SAMPLES_URL_BASE,
  SAMPLE_NOTEBOOKS,
  serveSamples,
} from '../scripts/samples-repo.ts';
import { median } from './lib/stats.ts';

export const TARGET_RATIO = 1.1;
const NBV = fileURLToPath(new URL('../bin/nbv.js', import.meta.url));

/** Wall time of a command; asynchronous, since the git server answers from this process. */
function timed(cmd: string, args: string[], cwd: string): Promise<number> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(performance.now() - t)
        : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`)),
    );
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
  const runs = Number(values.runs);
  const python = await ensurePython(process.env, (l) => console.log(l));
  const root = mkdtempSync(join(tmpdir(), 'nbv-bench-run-'));
  const server = await serveSamples(join(root, 'git'));
  try {
    const manifest = join(root, 'training.yaml');
    writeFileSync(
      manifest,
      readFileSync(join(SAMPLES_DIR, 'training.yaml'), 'utf8')
        .split(SAMPLES_URL_BASE)
        .join(server.url),
    );
    const nbv: number[] = [];
    const plain: number[] = [];
    // One warm-up of each, so that neither pays for cold caches (pyc files, page cache).
    for (let r = -1; r < runs; r++) {
      const cwd = mkdtempSync(join(root, 'run-'));
      const a = await timed(process.execPath, [NBV, 'run', manifest], cwd);
      const b = await timed(
        python.python,
        [
          '-m',
          'papermill',
          join(SAMPLE_NOTEBOOKS, 'training.ipynb'),
          join(cwd, 'out.ipynb'),
          '-p',
          'output_dir',
          join(cwd, 'models'),
          '--cwd',
          SAMPLE_NOTEBOOKS,
          '--no-progress-bar',
        ],
        cwd,
      );
      if (r >= 0) {
        nbv.push(a);
        plain.push(b);
      }
    }
    const ratio = median(nbv) / median(plain);
    console.log(`notebook: training.ipynb (${runs} runs each, alternating)`);
    console.log(`plain papermill median ${(median(plain) / 1000).toFixed(2)} s`);
    console.log(
      `nbv run median ${(median(nbv) / 1000).toFixed(2)} s (clone + sandbox + papermill + report)`,
    );
    console.log(
      `ratio ${ratio.toFixed(3)} (target <= ${TARGET_RATIO}) ${ratio <= TARGET_RATIO ? 'OK' : 'OVER'}`,
    );
    if (ratio > TARGET_RATIO) process.exitCode = 1;
  } finally {
    await server.close();
  }
}

await main();
