// `nbv model inspect DIR`: the model inspector's command line, and the metadata Job's
// entrypoint (`nbv model inspect /model --termination-message /dev/termination-log`).
// Exit codes: 0 inspected (findings or not), 1 not a model, 2 bad usage.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError, errorMessage } from '../../errors.ts';
import {
  NotAModelError,
  failureResult,
  inspectModel,
  inspectResult,
  renderTable,
  terminationMessage,
  type InspectOptions,
  type InspectResult,
} from '../../model/index.ts';
import { integerFlag, parseCommandLine } from '../args.ts';
import { writeLine, type CliIo } from '../io.ts';

const USAGE = `Usage: nbv model inspect DIR [options]

Reads a model directory (config.json or a diffusers model_index.json, safetensors headers) and
prints its metadata, parameter count, a serving memory estimate and servability findings.

Options:
  --json                        print the full result as JSON
  --termination-message PATH    also write the compact result (<= 4 KiB) to PATH
  --max-header-bytes N          largest safetensors header read (default 104857600)
  --search-depth N              how deep to look for a config below DIR (default 3)
  -h, --help                    show this help

Exit status: 0 inspected (even with findings), 1 DIR is not a model, 2 bad usage.`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    writeLine(sub === undefined ? io.stderr : io.stdout, USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'inspect') throw new UserError(`unknown subcommand "${sub}" (see nbv model --help)`);
  return inspectCommand(rest, io);
}

interface InspectArgs {
  dir: string;
  json: boolean;
  terminationMessage?: string;
  options: InspectOptions;
}

function parseInspectArgs(argv: string[], io: CliIo): InspectArgs | 'help' {
  const { values, positionals } = parseCommandLine(
    argv,
    {
      json: { type: 'boolean', default: false },
      'termination-message': { type: 'string' },
      'max-header-bytes': { type: 'string' },
      'search-depth': { type: 'string' },
    },
    USAGE,
    true,
  );
  if (values.help) return 'help';
  if (positionals.length !== 1 || positionals[0] === undefined) {
    throw new UserError(
      `inspect takes one directory, got ${positionals.length} arguments (see nbv model --help)`,
    );
  }
  const positive = (flag: 'max-header-bytes' | 'search-depth') =>
    integerFlag(flag, values[flag], 'a positive integer', 1);
  const maxHeaderBytes = positive('max-header-bytes');
  const searchDepth = positive('search-depth');
  const termination = values['termination-message'];
  return {
    dir: path.resolve(io.cwd, positionals[0]),
    json: values.json,
    ...(termination !== undefined ? { terminationMessage: path.resolve(io.cwd, termination) } : {}),
    options: {
      ...(maxHeaderBytes !== undefined ? { maxHeaderBytes } : {}),
      ...(searchDepth !== undefined ? { searchDepth } : {}),
    },
  };
}

async function writeTermination(file: string | undefined, result: InspectResult): Promise<void> {
  if (file === undefined) return;
  try {
    await writeFile(file, terminationMessage(result));
  } catch (err) {
    throw new UserError(`cannot write the termination message: ${errorMessage(err)}`);
  }
}

async function inspectCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseInspectArgs(argv, io);
  if (args === 'help') {
    writeLine(io.stdout, USAGE);
    return 0;
  }
  let inspection;
  try {
    inspection = await inspectModel(args.dir, args.options);
  } catch (err) {
    if (err instanceof NotAModelError) {
      const failure = failureResult(err.reason, err.message, err.findings);
      await writeTermination(args.terminationMessage, failure);
      if (args.json) writeLine(io.stdout, JSON.stringify(failure, null, 2));
      writeLine(io.stderr, `nbv model inspect: ${err.message}`);
      for (const f of err.findings) writeLine(io.stderr, `  ${f.severity} ${f.code}: ${f.message}`);
      return 1;
    }
    // Still tell the controller why, then let the CLI report the internal error.
    await writeTermination(
      args.terminationMessage,
      failureResult('internal-error', errorMessage(err)),
    ).catch(() => {});
    throw err;
  }
  await writeTermination(args.terminationMessage, inspectResult(inspection));
  io.stdout.write(args.json ? `${JSON.stringify(inspection, null, 2)}\n` : renderTable(inspection));
  return 0;
}
