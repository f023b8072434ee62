#!/usr/bin/env node
// Entry point of the nbv command. In a checkout the TypeScript sources run directly
// (Node.js strips the types); an installed package runs the compiled dist/.
import { existsSync } from 'node:fs';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `nbv: Node.js ${process.versions.node} is too old; nbv needs >= 22.19 (Node.js 24 LTS recommended).\n` +
      `In a checkout, run it through npm (npx nbv ...) to use the Node.js that npm install provides.\n`,
  );
  process.exit(2);
}

// `nbv install --print | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const source = new URL('../src/cli/main.ts', import.meta.url);
const entry = existsSync(source) ? source : new URL('../dist/cli/main.js', import.meta.url);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
