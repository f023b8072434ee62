import { allCustomResourceDefinitions, crdYaml } from '../../api/crd.ts';
import { parseCommandLine } from '../args.ts';
import { writeLine, type CliIo } from '../io.ts';

const USAGE = 'Usage: nbv crds';

/** `nbv crds`: every CustomResourceDefinition nbv serves, as one YAML stream. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  if (parseCommandLine(argv, {}, USAGE).values.help) {
    writeLine(io.stdout, USAGE);
    return 0;
  }
  for (const crd of allCustomResourceDefinitions()) io.stdout.write(crdYaml(crd));
  return 0;
}
