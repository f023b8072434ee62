// Command-line parsing shared by the subcommands: Node's parseArgs plus -h/--help, with errors
// that name the problem and show the usage.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { UserError, errorMessage } from '../errors.ts';

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

export function parseCommandLine<const O extends ParseArgsOptionsConfig>(
  argv: string[],
  options: O,
  usage: string,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: argv, options: { ...options, ...HELP }, allowPositionals });
  } catch (err) {
    throw new UserError(`${errorMessage(err)}\n\n${usage}`);
  }
}

export type OutputFormat = 'text' | 'json';

export function outputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === 'text' || value === 'json') return value ?? 'text';
  throw new UserError(`--output ${value}: expected text or json`);
}
