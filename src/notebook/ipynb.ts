// The ipynb (nbformat 4) model: the subset nbv reads, parsed with errors that name the cause.
// Notebooks are read whole, so their size is capped; past the cap a streaming scan names the
// cell that holds the bulk instead of loading it.
import { open, stat } from 'node:fs/promises';
import { UserError } from '../errors.ts';

export type MultilineString = string | string[];

export interface StreamOutput {
  output_type: 'stream';
  name: string;
  text: MultilineString;
}
export interface DataOutput {
  output_type: 'execute_result' | 'display_data';
  data: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  execution_count?: number | null;
}
export interface ErrorOutput {
  output_type: 'error';
  ename: string;
  evalue: string;
  traceback: string[];
}
export type Output = StreamOutput | DataOutput | ErrorOutput;

export interface CellMetadata {
  tags?: string[];
  papermill?: { status?: string; duration?: number | null; exception?: boolean | null };
  [key: string]: unknown;
}

export interface Cell {
  cell_type: 'code' | 'markdown' | 'raw';
  source: MultilineString;
  metadata: CellMetadata;
  outputs?: Output[];
  execution_count?: number | null;
}

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: {
    kernelspec?: { name?: string; display_name?: string; language?: string };
    [key: string]: unknown;
  };
  cells: Cell[];
}

/** Largest notebook nbv loads; an executed notebook over it almost always holds a runaway output. */
const MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024;

export function joinText(text: MultilineString | undefined): string {
  if (text === undefined) return '';
  return Array.isArray(text) ? text.join('') : text;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Where a JSON.parse error points, as "at line L, column C" (V8 says so for most errors). */
function jsonErrorPosition(text: string, message: string): string {
  const lineCol = /\(line (\d+) column (\d+)\)/.exec(message);
  if (lineCol) return ` at line ${lineCol[1]}, column ${lineCol[2]}`;
  const m = /position (\d+)/.exec(message);
  if (!m) return '';
  const before = text.slice(0, Number(m[1]));
  return ` at line ${before.split('\n').length}, column ${before.length - before.lastIndexOf('\n')}`;
}

/**
 * Parses ipynb text. `label` names the notebook in errors. Only the structure nbv relies on is
 * checked (cells with a type and a source; outputs with a type); other fields are kept as they are.
 */
export function parseNotebook(text: string, label: string): Notebook {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    throw new UserError(
      `${label}: not a notebook: malformed JSON${jsonErrorPosition(text, message)} (${message})`,
    );
  }
  if (!isRecord(raw)) throw new UserError(`${label}: not a notebook: the JSON is not an object`);
  const nbformat = raw.nbformat;
  if (typeof nbformat !== 'number')
    throw new UserError(`${label}: not a notebook: no "nbformat" version`);
  if (nbformat < 4) {
    throw new UserError(
      `${label}: nbformat ${nbformat} is not supported (nbv reads nbformat 4); convert it with "jupyter nbconvert --to notebook --nbformat 4"`,
    );
  }
  if (!Array.isArray(raw.cells))
    throw new UserError(`${label}: not a notebook: "cells" is missing or not a list`);
  raw.cells.forEach((cell, i) => {
    if (!isRecord(cell) || typeof cell.cell_type !== 'string') {
      throw new UserError(`${label}: cell ${i} has no cell_type`);
    }
    if (cell.outputs !== undefined && !Array.isArray(cell.outputs)) {
      throw new UserError(`${label}: cell ${i}: "outputs" is not a list`);
    }
    if (!isRecord(cell.metadata)) cell.metadata = {};
    for (const output of (cell.outputs as unknown[] | undefined) ?? []) {
      if (!isRecord(output) || typeof output.output_type !== 'string') {
        throw new UserError(`${label}: cell ${i} has an output without output_type`);
      }
    }
  });
  if (!isRecord(raw.metadata)) raw.metadata = {};
  return raw as unknown as Notebook;
}

/** The notebook file does not exist. */
export class NotebookMissingError extends UserError {
  constructor(label: string) {
    super(`${label}: no such file`);
  }
}

/** Reads and parses a notebook file, refusing files over `maxBytes` with the cell to blame. */
export async function readNotebook(
  path: string,
  label = path,
  maxBytes = MAX_NOTEBOOK_BYTES,
): Promise<Notebook> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotebookMissingError(label);
    throw new UserError(`${label}: ${(err as Error).message}`);
  }
  if (size > maxBytes) {
    const biggest = await largestCell(path);
    const where = biggest ? `; cell ${biggest.index} alone holds ${mib(biggest.bytes)}` : '';
    throw new UserError(
      `${label}: ${mib(size)} is over nbv's limit of ${mib(maxBytes)} for a notebook${where} — a cell printed too much output (write large results to a file instead)`,
    );
  }
  const handle = await open(path);
  try {
    return parseNotebook(await handle.readFile('utf8'), label);
  } finally {
    await handle.close();
  }
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * Finds the element of the top-level "cells" array that spans the most bytes, reading the file
 * in chunks with a minimal JSON scanner (strings, nesting, keys at depth 1). Memory: one chunk.
 */
export async function largestCell(
  path: string,
): Promise<{ index: number; bytes: number } | undefined> {
  const handle = await open(path);
  let depth = 0;
  let inString = false;
  let escaped = false;
  let key = '';
  let collectingKey = false;
  let lastKey = '';
  let inCells = false;
  let index = -1;
  let start = 0;
  let offset = 0;
  let best: { index: number; bytes: number } | undefined;
  const buffer = Buffer.alloc(1 << 20);
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) break;
      for (let i = 0; i < bytesRead; i++) {
        const c = buffer[i];
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 0x5c) escaped = true;
          else if (c === 0x22) {
            inString = false;
            if (collectingKey) lastKey = key;
          } else if (collectingKey && key.length < 16) key += String.fromCharCode(c as number);
          continue;
        }
        if (c === 0x22) {
          inString = true;
          // A string at depth 1 directly after "{" or "," is a key of the notebook object.
          collectingKey = depth === 1;
          key = '';
        } else if (c === 0x7b || c === 0x5b) {
          depth++;
          if (depth === 2 && c === 0x5b && lastKey === 'cells') inCells = true;
          if (inCells && depth === 3) {
            index++;
            start = offset + i;
          }
        } else if (c === 0x7d || c === 0x5d) {
          if (inCells && depth === 3) {
            const bytes = offset + i + 1 - start;
            if (!best || bytes > best.bytes) best = { index, bytes };
          }
          if (inCells && depth === 2) inCells = false;
          depth--;
        } else if (c === 0x3a && depth === 1) {
          collectingKey = false;
        }
      }
      offset += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return best;
}
