// Finding the config file of a model directory. Fixed places first (a diffusers pipeline, a
// config.json at the root, the sub-folders that training scripts and converters commonly
// write), then a bounded breadth-first search, so that a deep or huge volume cannot make the
// metadata Job run for long.
import { errorMessage } from '../errors.ts';
import { isJsonObject } from './json.ts';
import { pathFinding, type ModelDir } from './model-fs.ts';
import type { Finding } from './types.ts';

export type ModelLayout = 'transformers' | 'diffusers';

export interface DiscoveryOptions {
  /** Deepest sub-folder level searched (the root is 0). */
  maxDepth: number;
  /** Directory entries looked at, in total, by the search. */
  maxEntries: number;
  /** Size limit for a config file. */
  maxConfigBytes: number;
}

export const DEFAULT_DISCOVERY_OPTIONS: DiscoveryOptions = {
  maxDepth: 3,
  maxEntries: 10_000,
  maxConfigBytes: 16 * 1024 * 1024,
};

export interface Discovered {
  /** Relative path of the config file (`config.json`, `model/config.json`, ...). */
  configFile: string;
  /** Folder of the config file, relative; the weights are looked for there. */
  modelRoot: string;
  layout: ModelLayout;
  findings: Finding[];
}

export interface NotDiscovered {
  /** Places looked at, for the error message. */
  searched: string[];
  findings: Finding[];
}

const DIFFUSERS_INDEX = 'model_index.json';
const CONFIG = 'config.json';
/** Where converters and training scripts put the HF files when not at the root. */
const CONFIG_SUBDIRS = ['safetensors', 'pytorch_model', 'model'] as const;

function dirOf(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? '' : rel.slice(0, slash);
}

function layoutOf(rel: string): ModelLayout {
  return rel.endsWith(DIFFUSERS_INDEX) ? 'diffusers' : 'transformers';
}

/** Looks for the model's config in `root`. Returns where it is, or the places searched. */
export async function discoverConfig(
  root: ModelDir,
  options: DiscoveryOptions = DEFAULT_DISCOVERY_OPTIONS,
): Promise<Discovered | NotDiscovered> {
  const findings: Finding[] = [];
  const fixed = [DIFFUSERS_INDEX, CONFIG, ...CONFIG_SUBDIRS.map((d) => `${d}/${CONFIG}`)];
  for (const rel of fixed) {
    if (await isUsableFile(root, rel, findings))
      return { configFile: rel, modelRoot: dirOf(rel), layout: layoutOf(rel), findings };
  }

  const found = await searchConfig(root, options, new Set(fixed), findings);
  if (found) return found;
  return {
    searched: [...fixed, `**/{${DIFFUSERS_INDEX},${CONFIG}} to depth ${options.maxDepth}`],
    findings,
  };
}

/** Whether `rel` is a file that may be read; a path that may not is a finding. */
async function isUsableFile(root: ModelDir, rel: string, findings: Finding[]): Promise<boolean> {
  const resolved = await root.resolve(rel);
  const finding = pathFinding(rel, resolved);
  if (finding) findings.push(finding);
  return resolved.kind === 'file';
}

/** Whether a config.json found by the search describes a model (not, say, a pooling module). */
async function looksLikeModelConfig(
  root: ModelDir,
  rel: string,
  maxBytes: number,
): Promise<boolean> {
  if (rel.endsWith(DIFFUSERS_INDEX)) return true;
  try {
    const json = await root.readJson(rel, maxBytes);
    return isJsonObject(json) && ('model_type' in json || 'architectures' in json);
  } catch {
    return false;
  }
}

async function searchConfig(
  root: ModelDir,
  options: DiscoveryOptions,
  alreadyChecked: Set<string>,
  findings: Finding[],
): Promise<Discovered | undefined> {
  let level = [''];
  let seen = 0;
  for (let depth = 0; depth <= options.maxDepth && level.length > 0; depth++) {
    const candidates: string[] = [];
    const next: string[] = [];
    for (const dir of level) {
      let entries;
      try {
        entries = await root.list(dir);
      } catch (err) {
        findings.push({
          severity: 'warning',
          code: 'folder-unreadable',
          message: `${dir || '.'}: ${errorMessage(err)}`,
          file: dir,
        });
        continue;
      }
      for (const entry of entries) {
        if (++seen > options.maxEntries) {
          findings.push({
            severity: 'warning',
            code: 'search-truncated',
            message: `the config search stopped after ${options.maxEntries} directory entries`,
          });
          return pick(candidates, findings);
        }
        // Hidden folders (.git, .cache) hold no model; symlinked folders are not followed.
        if (entry.isDirectory && !entry.name.startsWith('.')) next.push(entry.rel);
        if (depth === 0) continue; // the fixed places already covered the root
        if (entry.name !== CONFIG && entry.name !== DIFFUSERS_INDEX) continue;
        if (alreadyChecked.has(entry.rel)) continue;
        if (
          (await isUsableFile(root, entry.rel, findings)) &&
          (await looksLikeModelConfig(root, entry.rel, options.maxConfigBytes))
        ) {
          candidates.push(entry.rel);
        }
      }
    }
    const found = pick(candidates, findings);
    if (found) return found;
    level = next;
  }
  return undefined;
}

/** The first candidate (diffusers before transformers, then by name); ambiguity is a warning. */
function pick(candidates: string[], findings: Finding[]): Discovered | undefined {
  const sorted = [...candidates].sort((a, b) => {
    const byLayout = Number(layoutOf(b) === 'diffusers') - Number(layoutOf(a) === 'diffusers');
    return byLayout !== 0 ? byLayout : a < b ? -1 : a > b ? 1 : 0;
  });
  const [first, ...others] = sorted;
  if (first === undefined) return undefined;
  if (others.length > 0) {
    findings.push({
      severity: 'warning',
      code: 'config-ambiguous',
      message: `several model configs at the same depth; using ${first}, not ${others.join(', ')}`,
      file: first,
    });
  }
  return { configFile: first, modelRoot: dirOf(first), layout: layoutOf(first), findings };
}
