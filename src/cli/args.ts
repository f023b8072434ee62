// Command-line parsing shared by the subcommands: Node's parseArgs plus -h/--help, with errors
// that name the problem and show the usage.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { UserError, errorMessage } from '../errors.ts';

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * `--port -1` as `--port=-1`: parseArgs reads a value that starts with "-" as another flag, but
 * a negative number after a flag that takes a value is that flag's value.
 */
function joinNegativeValues(argv: readonly string[], options: ParseArgsOptionsConfig): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name && options[name]?.type === 'string' && next !== undefined && /^-\d+$/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

export function parseCommandLine<const O extends ParseArgsOptionsConfig>(
  argv: string[],
  options: O,
  usage: string,
  allowPositionals = false,
) {
  try {
    return parseArgs({
      args: joinNegativeValues(argv, options),
      options: { ...options, ...HELP },
      allowPositionals,
    });
  } catch (err) {
    throw new UserError(`${errorMessage(err)}\n\n${usage}`);
  }
}

/**
 * The whole number a flag gives, from `min` to `max`; `expected` says what the flag wants in the
 * error ("a port number (0-65535)"). Undefined when the flag is absent.
 */
export function integerFlag(
  flag: string,
  value: string | undefined,
  expected: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new UserError(`--${flag}: "${value}" is not ${expected}`);
  return n;
}

export type OutputFormat = 'text' | 'json';

export function outputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === 'text' || value === 'json') return value ?? 'text';
  throw new UserError(`--output ${value}: expected text or json`);
}
