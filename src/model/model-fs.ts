// Reading inside a model directory without ever leaving it. The directory comes from a volume
// that users write to: a symlink in it may point anywhere on the node's (or the pod's) file
// system, so every path is resolved and checked against the directory's real path before it is
// opened. A symlink that leaves the directory is reported, never followed.
import type { Dirent } from 'node:fs';
import { lstat, readFile, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Finding } from './types.ts';

export type Resolved =
  | { kind: 'file'; real: string; size: number }
  | { kind: 'dir'; real: string }
  | { kind: 'other'; real: string }
  | { kind: 'missing' }
  /** The path (or a symlink on the way) resolves outside the model directory. */
  | { kind: 'escapes'; target: string }
  /** A symlink whose target does not exist. */
  | { kind: 'dangling' };

/** True when `candidate` is `root` or lies below it (both absolute, normalized). */
export function isInside(root: string, candidate: string): boolean {
  if (candidate === root) return true;
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  return candidate.startsWith(prefix);
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

function isNotFound(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Resolves `rel` (relative to the real path `root`) and tells what is there. Paths that leave
 * `root`, lexically (`../x`) or through a symlink, come back as `escapes`.
 */
export async function resolveInside(root: string, rel: string): Promise<Resolved> {
  const lexical = path.resolve(root, rel);
  if (!isInside(root, lexical)) return { kind: 'escapes', target: lexical };
  try {
    await lstat(lexical);
  } catch (err) {
    if (isNotFound(err)) return { kind: 'missing' };
    throw err;
  }
  let real: string;
  try {
    real = await realpath(lexical);
  } catch (err) {
    if (isNotFound(err)) return { kind: 'dangling' };
    throw err;
  }
  if (!isInside(root, real)) return { kind: 'escapes', target: real };
  const info = await stat(real);
  if (info.isFile()) return { kind: 'file', real, size: info.size };
  if (info.isDirectory()) return { kind: 'dir', real };
  return { kind: 'other', real };
}

export interface DirEntry {
  /** Path relative to the model root, with `/` separators. */
  rel: string;
  name: string;
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
}

/** Joins relative paths with `/` whatever the platform (they appear in reports). */
export function joinRel(dir: string, name: string): string {
  return dir === '' || dir === '.' ? name : `${dir}/${name}`;
}

/** Lists one directory of the model (not recursive), sorted by name; [] if it is missing. */
export async function listDir(root: string, relDir: string): Promise<DirEntry[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(path.join(root, relDir), { withFileTypes: true });
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  return entries
    .map((e) => ({
      rel: joinRel(relDir, e.name),
      name: e.name,
      isFile: e.isFile(),
      isDirectory: e.isDirectory(),
      isSymlink: e.isSymbolicLink(),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A file that nbv refuses or fails to read; the message names the file. */
export class ModelFileError extends Error {
  readonly file: string;
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'ModelFileError';
    this.file = file;
  }
}

/** Reads a small text file (a config, an index) whose size is bounded to `maxBytes`. */
export async function readSmallTextFile(
  real: string,
  rel: string,
  size: number,
  maxBytes: number,
): Promise<string> {
  if (size > maxBytes) {
    throw new ModelFileError(rel, `file is ${size} bytes, more than the ${maxBytes}-byte limit for metadata files`);
  }
  return readFile(real, 'utf8');
}

/** The finding for a path that cannot be used as it is (`undefined` for files and dirs). */
export function pathFinding(rel: string, resolved: Resolved): Finding | undefined {
  switch (resolved.kind) {
    case 'escapes':
      return {
        severity: 'error',
        code: 'symlink-escapes',
        message: `${rel} resolves outside the model directory (to ${resolved.target}); it is not read, and a serving pod that mounts only the model directory cannot read it either`,
        file: rel,
      };
    case 'dangling':
      return { severity: 'error', code: 'symlink-dangling', message: `${rel} is a symlink to a missing target`, file: rel };
    case 'other':
      return { severity: 'error', code: 'not-a-regular-file', message: `${rel} is neither a file nor a directory`, file: rel };
    default:
      return undefined;
  }
}
