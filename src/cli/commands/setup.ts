import {
  REQUIRED_MODULES,
  createVenv,
  findPython,
  missingModules,
  probePython,
} from '../../notebook/python.ts';
import { parseCommandLine } from '../args.ts';
import { writeLine, type CliIo } from '../io.ts';

const USAGE = 'Usage: nbv setup [--force] [--quiet]';

/**
 * `nbv setup`: creates nbv's Python environment (papermill, ipykernel, nbformat and the samples'
 * packages, pinned in python/requirements.txt) unless it exists; `--force` rebuilds it.
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandLine(
    argv,
    { force: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' } },
    USAGE,
  );
  if (values.help) {
    writeLine(io.stdout, USAGE);
    return 0;
  }
  const log = (line: string) => writeLine(io.stderr, line);
  const existing = values.force ? undefined : findPython(io.env);
  const choice = existing ?? (await createVenv(io.env, log));
  const missing = missingModules(probePython(choice.python, REQUIRED_MODULES));
  if (missing.length > 0) {
    writeLine(io.stderr, `${choice.python} (${choice.origin}) lacks ${missing.join(', ')}`);
    return 1;
  }
  if (!values.quiet || !existing)
    writeLine(io.stdout, `${choice.python} (${choice.origin}) is ready`);
  return 0;
}
