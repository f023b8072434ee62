// Writes the generated files that are committed: config/crd/*.yaml from the API schemas, the
// install's kustomize bases under config/, the Helm chart's CRDs and rule files, and
// docs/api-reference.md. Tests fail when the committed files differ from what this produces
// (run `npm run generate` after a change to the API or to src/install/).
import { mkdirSync, writeFileSync } from 'node:fs';
import { generatedFiles } from '../src/api/generated.ts';
import { installGeneratedFiles } from '../src/install/generated.ts';

for (const [path, content] of [...generatedFiles(), ...installGeneratedFiles()]) {
  mkdirSync(new URL(`../${path.slice(0, path.lastIndexOf('/'))}`, import.meta.url), {
    recursive: true,
  });
  writeFileSync(new URL(`../${path}`, import.meta.url), content);
  console.log(`wrote ${path}`);
}
