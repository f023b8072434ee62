// The quick start: `npm run sample config/samples/training.yaml [nbv run options]`. Builds the
// samples' git repository under .nbv/, serves it on 127.0.0.1:8419 (where the sample manifests
// point) for the length of one `nbv run`, and exits with nbv run's exit code.
import { join } from 'node:path';
import { main } from '../src/cli/main.ts';
import { SAMPLES_URL_BASE, serveSamples } from './samples-repo.ts';

const args = process.argv.slice(2);
if (args.length === 0) {
  process.stderr.write('usage: npm run sample config/samples/NAME.yaml [-- nbv run options]\n');
  process.exit(2);
}
const port = Number(new URL(SAMPLES_URL_BASE).port);
let server;
try {
  server = await serveSamples(join(process.cwd(), '.nbv', 'samples-git'), port);
} catch (err) {
  const busy = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
  process.stderr.write(
    `cannot serve the samples on ${SAMPLES_URL_BASE}: ${busy ? 'the port is in use' : (err as Error).message}\n`,
  );
  process.exit(2);
}
process.stderr.write(
  `serving the samples' git repository at ${server.url}/nbv-samples.git (commit ${server.commit.slice(0, 12)})\n`,
);
const code = await main(['run', ...args]);
await server.close();
process.exit(code);
