// Lenient JSON for model configs. Python's json.dump writes NaN, Infinity and -Infinity, which
// JSON.parse rejects; they are replaced by null, but only outside strings, so that a prompt or
// a chat template that contains the word "NaN" is kept as written.

/** A JSON object, as read from a config file. */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A file that is not the JSON it should be; the message names the file. */
export class JsonFileError extends Error {
  readonly file: string;
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'JsonFileError';
    this.file = file;
  }
}

const NON_FINITE = ['-Infinity', 'Infinity', 'NaN'] as const;

/** Replaces the Python non-finite literals outside strings by `null`. */
export function replaceNonFiniteLiterals(text: string): string {
  // Most files have none of them: skip the scan.
  if (!/NaN|Infinity/.test(text)) return text;
  let out = '';
  let copiedUpTo = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      continue;
    }
    const literal = NON_FINITE.find((word) => text.startsWith(word, i));
    if (literal) {
      out += `${text.slice(copiedUpTo, i)}null`;
      i += literal.length - 1;
      copiedUpTo = i + 1;
    }
  }
  return out + text.slice(copiedUpTo);
}

/** Parses JSON text that may contain NaN/Infinity; throws a JsonFileError naming `file`. */
export function parseLenientJson(text: string, file: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(replaceNonFiniteLiterals(body));
  } catch (err) {
    throw new JsonFileError(
      file,
      `invalid JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
}

/** Like parseLenientJson, but the top level must be an object. */
export function parseJsonObject(text: string, file: string): JsonObject {
  const value = parseLenientJson(text, file);
  if (!isJsonObject(value)) {
    throw new JsonFileError(
      file,
      `expected a JSON object at the top level, found ${describeJson(value)}`,
    );
  }
  return value;
}

/** A short name for the type of a JSON value, for error messages. */
function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
