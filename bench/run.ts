// Runs every benchmark in bench/ (each a standalone script that prints its figures), one after
// the other as child processes, so that one bench's memory and warm caches do not skew the
// next. Exits non-zero when any of them fails.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const self = path.basename(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== self && !f.endsWith('.test.ts'))
  .filter((f) => only.length === 0 || only.some((name) => f.startsWith(name)))
  .sort();

let failed = 0;
for (const bench of benches) {
  console.log(`== ${bench}`);
  const result = spawnSync(process.execPath, [path.join(here, bench)], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.log(`== ${bench} failed (${result.signal ?? `exit ${result.status}`})`);
  }
}
if (benches.length === 0) console.log('no benchmarks found');
process.exitCode = failed > 0 ? 1 : 0;
