import { readManifestFile } from '../../api/manifest-file.ts';
import { admit, isNbvObject, refOf, type ObjectRef } from '../../validation/admission.ts';
import { formatProblem } from '../../validation/problems.ts';
import { UserError } from '../../errors.ts';
import { parseCommandLine } from '../args.ts';
import { writeLine, type CliIo } from '../io.ts';

const USAGE = 'Usage: nbv validate FILE... [--quiet]';

function label(ref: ObjectRef): string {
  return `${ref.kind || '<no kind>'}/${ref.name || '<no name>'}`;
}

/**
 * `nbv validate FILE...`: admission on every object of every file. One line per problem,
 * `FILE: KIND/NAME: FIELD.PATH: REASON`; exit 1 when any error, 0 otherwise.
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const { positionals, values } = parseCommandLine(
    argv,
    { quiet: { type: 'boolean', short: 'q' } },
    USAGE,
    true,
  );
  if (values.help) {
    writeLine(io.stdout, USAGE);
    return 0;
  }
  if (positionals.length === 0) throw new UserError(USAGE);
  let errors = 0;
  let checked = 0;
  for (const file of positionals) {
    let stream;
    try {
      stream = await readManifestFile(file);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      writeLine(io.stdout, err.message);
      errors++;
      continue;
    }
    for (const syntax of stream.syntaxErrors) {
      writeLine(io.stdout, `${file}:${syntax.replace(/^(\d+:\d+): /, '$1: malformed YAML: ')}`);
      errors++;
    }
    for (const doc of stream.documents) {
      if (!isNbvObject(doc.object)) {
        const ref = refOf(doc.object);
        if (!values.quiet)
          writeLine(
            io.stdout,
            `${file}: ${label(ref)}: skipped (${ref.apiVersion} ${ref.kind} is not an nbv kind)`,
          );
        continue;
      }
      checked++;
      const outcome = admit(doc.object);
      for (const p of outcome.problems) {
        writeLine(io.stdout, `${file}: ${label(outcome.ref)}: ${formatProblem(p)}`);
        if (p.severity === 'error') errors++;
      }
    }
  }
  if (!values.quiet) writeLine(io.stderr, `${checked} object(s) checked, ${errors} error(s)`);
  return errors > 0 ? 1 : 0;
}
