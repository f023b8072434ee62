// The test command: `npm test` runs every unit and integration test with Node's test runner.
// Integration tests share one real control plane that test/integration/global-setup.ts starts
// and stops. `--unit` runs only the tests that need no cluster.
import { spawnSync } from 'node:child_process';
import { existsSync, globSync } from 'node:fs';

const unitOnly = process.argv.includes('--unit');
const extra = process.argv.slice(2).filter((a) => a !== '--unit');

const unit = [
  ...globSync('src/**/*.test.ts'),
  ...globSync('test/unit/**/*.test.ts'),
  ...globSync('test/notebook/**/*.test.ts'),
];
const integration = unitOnly ? [] : globSync('test/integration/**/*.test.ts');
const files = extra.length > 0 ? extra : [...unit, ...integration].sort();

const args = ['--test', '--test-reporter=spec', '--test-timeout=900000'];
const setup = 'test/integration/global-setup.ts';
if (files.some((f) => f.startsWith('test/integration/')) && existsSync(setup)) {
  args.push(`--test-global-setup=${setup}`);
}
// Notebook tests (and integration tests, which run notebooks to make real reports) use real
// kernels, git, bubblewrap and chromium: install what is missing first.
if (files.some((f) => f.startsWith('test/notebook/') || f.startsWith('test/integration/'))) {
  for (const [cmd, cmdArgs] of [
    ['bash', ['scripts/setup-system.sh']],
    [process.execPath, ['bin/nbv.js', 'setup', '--quiet']],
  ] as const) {
    const step = spawnSync(cmd, cmdArgs, { stdio: 'inherit' });
    if (step.status !== 0) process.exit(step.status ?? 1);
  }
}
const result = spawnSync(process.execPath, [...args, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
