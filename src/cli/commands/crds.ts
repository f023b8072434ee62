import { parseArgs } from 'node:util';
import { allCustomResourceDefinitions, crdYaml } from '../../api/crd.ts';
import type { CliIo } from '../io.ts';

/** `nbv crds`: every CustomResourceDefinition nbv serves, as one YAML stream. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  parseArgs({ args: argv, options: {}, allowPositionals: false });
  for (const crd of allCustomResourceDefinitions()) io.stdout.write(crdYaml(crd));
  return 0;
}
