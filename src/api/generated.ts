// The files generated from the API schemas and committed to the repo, by repo-relative path.
import { allCustomResourceDefinitions, crdFileName, crdYaml } from './crd.ts';

export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const crds = allCustomResourceDefinitions();
  for (const crd of crds) files.set(`config/crd/${crdFileName(crd)}`, crdYaml(crd));
  const kustomization = ['resources:', ...crds.map((c) => `  - ${crdFileName(c)}`), ''].join('\n');
  files.set('config/crd/kustomization.yaml', kustomization);
  return files;
}
