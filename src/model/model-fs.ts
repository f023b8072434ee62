// Reading inside a model directory without ever leaving it. The directory comes from a volume
// that users write to: a symlink in it may point anywhere on the node's (or the pod's) file
// system, so every path is resolved and checked against the directory's real path before it is
// opened. A symlink that leaves the directory is reported, never followed.
import type { Dirent } from 'node:fs';
import { lstat, readFile, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseLenientJson } from './json.ts';
import type { Finding } from './types.ts';

export type Resolved =
  | { kind: 'file'; real: string; size: number }
  | { kind: 'dir'; real: string }
  | { kind: 'other'; real: string }
  | { kind: 'missing' }
  /** The path (`../x`), or a symlink on the way, resolves outside the model directory. */
  | { kind: 'escapes'; target: string; via: 'path' | 'symlink' }
  /** A symlink whose target does not exist. */
  | { kind: 'dangling' };

/** True when `candidate` is `root` or lies below it (both absolute, normalized). */
function isInside(root: string, candidate: string): boolean {
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

type DirState =
  | { kind: 'dir'; real: string }
  | { kind: 'missing' }
  | { kind: 'escapes'; target: string; via: 'path' | 'symlink' };

/**
 * A model directory, by its real path. Folders are resolved once and remembered, so that a
 * regular file costs one lstat; only symlinks pay for realpath.
 */
export class ModelDir {
  readonly root: string;
  readonly #dirs = new Map<string, Promise<DirState>>();

  constructor(realRoot: string) {
    this.root = realRoot;
  }

  /**
   * Resolves `rel` and tells what is there. Paths that leave the directory, lexically (`../x`)
   * or through a symlink (of the file or of a folder on the way), come back as `escapes`.
   */
  async resolve(rel: string): Promise<Resolved> {
    const lexical = path.resolve(this.root, rel);
    if (!isInside(this.root, lexical)) return { kind: 'escapes', target: lexical, via: 'path' };
    if (lexical === this.root) return { kind: 'dir', real: this.root };
    const parent = await this.#dir(path.dirname(lexical));
    if (parent.kind !== 'dir') return parent;
    const candidate = path.join(parent.real, path.basename(lexical));
    let info;
    try {
      info = await lstat(candidate);
    } catch (err) {
      if (isNotFound(err)) return { kind: 'missing' };
      throw err;
    }
    if (info.isSymbolicLink()) return this.#followLink(candidate);
    if (info.isFile()) return { kind: 'file', real: candidate, size: info.size };
    if (info.isDirectory()) return { kind: 'dir', real: candidate };
    return { kind: 'other', real: candidate };
  }

  async #followLink(link: string): Promise<Resolved> {
    let real: string;
    try {
      real = await realpath(link);
    } catch (err) {
      if (isNotFound(err)) return { kind: 'dangling' };
      throw err;
    }
    if (!isInside(this.root, real)) return { kind: 'escapes', target: real, via: 'symlink' };
    const info = await stat(real);
    if (info.isFile()) return { kind: 'file', real, size: info.size };
    if (info.isDirectory()) return { kind: 'dir', real };
    return { kind: 'other', real };
  }

  /** The real path of a folder below the root (absolute, lexically inside), remembered. */
  #dir(abs: string): Promise<DirState> {
    if (abs === this.root) return Promise.resolve({ kind: 'dir', real: this.root });
    let state = this.#dirs.get(abs);
    if (state === undefined) {
      state = this.resolve(path.relative(this.root, abs)).then((r): DirState => {
        if (r.kind === 'dir' || r.kind === 'escapes') return r;
        return { kind: 'missing' };
      });
      this.#dirs.set(abs, state);
    }
    return state;
  }

  /** Reads a JSON file of the model (NaN/Infinity tolerated); errors name the file. */
  async readJson(rel: string, maxBytes: number): Promise<unknown> {
    const resolved = await this.resolve(rel);
    if (resolved.kind !== 'file') {
      // pathFinding's messages already start with the file name.
      const finding = pathFinding(rel, resolved);
      if (finding) throw new Error(finding.message);
      throw new ModelFileError(rel, resolved.kind === 'dir' ? 'is a directory' : 'no such file');
    }
    return parseLenientJson(
      await readSmallTextFile(resolved.real, rel, resolved.size, maxBytes),
      rel,
    );
  }

  /** Lists one folder of the model (not recursive), sorted by name; [] if it is missing. */
  async list(relDir: string): Promise<DirEntry[]> {
    const resolved = await this.resolve(relDir === '' ? '.' : relDir);
    if (resolved.kind !== 'dir') return [];
    let entries: Dirent[];
    try {
      entries = await readdir(resolved.real, { withFileTypes: true });
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
async function readSmallTextFile(
  real: string,
  rel: string,
  size: number,
  maxBytes: number,
): Promise<string> {
  if (size > maxBytes) {
    throw new ModelFileError(
      rel,
      `file is ${size} bytes, more than the ${maxBytes}-byte limit for metadata files`,
    );
  }
  return readFile(real, 'utf8');
}

/** The finding for a path that cannot be used as it is (`undefined` for files and dirs). */
export function pathFinding(rel: string, resolved: Resolved): Finding | undefined {
  switch (resolved.kind) {
    case 'escapes':
      return {
        severity: 'error',
        code: resolved.via === 'symlink' ? 'symlink-escapes' : 'path-escapes',
        message: `${rel} resolves outside the model directory (to ${resolved.target}); it is not read, and a serving pod that mounts only the model directory cannot read it either`,
        file: rel,
      };
    case 'dangling':
      return {
        severity: 'error',
        code: 'symlink-dangling',
        message: `${rel} is a symlink to a missing target`,
        file: rel,
      };
    case 'other':
      return {
        severity: 'error',
        code: 'not-a-regular-file',
        message: `${rel} is neither a file nor a directory`,
        file: rel,
      };
    default:
      return undefined;
  }
}
