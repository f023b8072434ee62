// Reading YAML streams of Kubernetes objects with errors that name the file and line.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseAllDocuments } from 'yaml';
import { UserError } from '../errors.ts';

export interface ManifestDocument {
  /** 1-based line of the document's first line in the file. */
  line: number;
  object: unknown;
}

export interface ManifestStream {
  documents: ManifestDocument[];
  /** Syntax errors, each "LINE:COL: message". */
  syntaxErrors: string[];
}

/** Largest manifest file read; anything bigger is not a manifest a person wrote. */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

export function parseManifests(text: string): ManifestStream {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const documents: ManifestDocument[] = [];
  const syntaxErrors: string[] = [];
  for (const doc of list) {
    for (const err of doc.errors) {
      const pos = lineCounter.linePos(err.pos[0]);
      syntaxErrors.push(`${pos.line}:${pos.col}: ${err.message.split('\n')[0]}`);
    }
    if (doc.errors.length > 0) continue;
    const object: unknown = doc.toJS({ maxAliasCount: 100 });
    if (object === null || object === undefined) continue; // a comment-only document
    const start = doc.contents?.range?.[0] ?? 0;
    documents.push({ line: lineCounter.linePos(start).line, object });
  }
  return { documents, syntaxErrors };
}

export async function readManifestFile(path: string): Promise<ManifestStream> {
  let text: string;
  try {
    const buffer = await readFile(path);
    if (buffer.byteLength > MAX_MANIFEST_BYTES)
      throw new UserError(`${path}: larger than 16 MiB; not a manifest`);
    text = buffer.toString('utf8');
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : (err as Error).message;
    throw new UserError(`${path}: ${why}`);
  }
  return parseManifests(text);
}
