// Writes the generated files that are committed: config/crd/*.yaml. A test fails when the
// committed files differ from what this produces (run `npm run generate` after an API change).
import { mkdirSync, writeFileSync } from 'node:fs';
import { generatedFiles } from '../src/api/generated.ts';

for (const [path, content] of generatedFiles()) {
  mkdirSync(new URL(`../${path.slice(0, path.lastIndexOf('/'))}`, import.meta.url), {
    recursive: true,
  });
  writeFileSync(new URL(`../${path}`, import.meta.url), content);
  console.log(`wrote ${path}`);
}
