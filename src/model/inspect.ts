// `nbv model inspect`: what is in a model directory, and would a runtime serve it. This module
// only orchestrates: reading is in model-fs/discovery/safetensors, deciding in the pure modules.
import { realpath, stat } from 'node:fs/promises';
import { errorMessage } from '../errors.ts';
import { capabilitiesOf } from './capabilities.ts';
import { architectureOf, dtypeOf, getString, quantizationOf } from './config.ts';
import { contextLength, maxTokensField } from './context-length.ts';
import { diffusersComponents, diffusionPipelineOf, isTokenizerComponent } from './diffusers.ts';
import { DEFAULT_DISCOVERY_OPTIONS, discoverConfig, type Discovered } from './discovery.ts';
import { isJsonObject, parseJsonObject, parseLenientJson, type JsonObject } from './json.ts';
import { estimateMemory } from './memory.ts';
import {
  joinRel,
  listDir,
  pathFinding,
  readSmallTextFile,
  resolveInside,
  type DirEntry,
} from './model-fs.ts';
import { countFromHeaders, estimateParameters, formatParameterSize } from './parameters.ts';
import { duplicateTensorFindings, indexFindings, layoutFindings, listSome, tokenizerFindings } from './preflight.ts';
import {
  ByteBudget,
  DEFAULT_MAX_HEADER_BYTES,
  parseSafetensorsIndex,
  readSafetensorsHeader,
  type SafetensorsHeader,
  type SafetensorsIndex,
} from './safetensors.ts';
import type { Finding, ModelCapability, ModelInspection, ModelMetadata, NameVersion, ParameterSource } from './types.ts';

interface ParameterCount {
  value: number;
  source: ParameterSource;
}

export interface InspectOptions {
  /** Largest safetensors header accepted, in bytes (default 100 MiB). */
  maxHeaderBytes?: number;
  /** Largest config or index file read, in bytes (default 16 MiB). */
  maxConfigBytes?: number;
  /** How deep the config search goes below the directory (default 3). */
  searchDepth?: number;
  /** How many directory entries the config search looks at (default 10,000). */
  searchEntries?: number;
  /** Safetensors headers read at the same time (default 16). */
  concurrency?: number;
  /** Header bytes held in memory at once by those reads (default 64 MiB). */
  headerBudgetBytes?: number;
}

export type NotAModelReason = 'not-found' | 'not-a-directory' | 'no-config' | 'bad-config';

/** The directory is not a model nbv can inspect (the CLI exits 1). */
export class NotAModelError extends Error {
  readonly reason: NotAModelReason;
  readonly findings: Finding[];
  constructor(reason: NotAModelReason, message: string, findings: Finding[] = []) {
    super(message);
    this.name = 'NotAModelError';
    this.reason = reason;
    this.findings = findings;
  }
}

export async function inspectModel(dir: string, options: InspectOptions = {}): Promise<ModelInspection> {
  const root = await modelRoot(dir);
  const maxConfigBytes = options.maxConfigBytes ?? DEFAULT_DISCOVERY_OPTIONS.maxConfigBytes;
  const discovered = await discoverConfig(root, {
    maxDepth: options.searchDepth ?? DEFAULT_DISCOVERY_OPTIONS.maxDepth,
    maxEntries: options.searchEntries ?? DEFAULT_DISCOVERY_OPTIONS.maxEntries,
    maxConfigBytes,
  });
  if (!('configFile' in discovered)) {
    throw new NotAModelError(
      'no-config',
      `no model config in ${dir} (looked for ${listSome(discovered.searched, 10)})`,
      discovered.findings,
    );
  }
  const findings: Finding[] = [...discovered.findings];
  const config = await readJson(root, discovered.configFile, maxConfigBytes).catch((err: unknown) => {
    throw new NotAModelError('bad-config', errorMessage(err), findings);
  });
  if (!isJsonObject(config)) {
    throw new NotAModelError('bad-config', `${discovered.configFile}: expected a JSON object`, findings);
  }
  const budget = new ByteBudget(options.headerBudgetBytes ?? 64 * 1024 * 1024);
  const ctx: Context = { root, options, maxConfigBytes, budget, findings };
  const inspection =
    discovered.layout === 'diffusers'
      ? await inspectDiffusers(ctx, dir, discovered, config)
      : await inspectTransformers(ctx, dir, discovered, config);
  inspection.findings = sortFindings(dedupe(findings));
  return inspection;
}

interface Context {
  root: string;
  options: InspectOptions;
  maxConfigBytes: number;
  budget: ByteBudget;
  findings: Finding[];
}

/** The real path of `dir`, which must be an existing directory. */
async function modelRoot(dir: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch {
    throw new NotAModelError('not-found', `${dir} does not exist`);
  }
  if (!(await stat(real)).isDirectory()) {
    throw new NotAModelError('not-a-directory', `${dir} is not a directory (nbv model inspect takes the model's directory)`);
  }
  return real;
}

/** Reads a JSON file inside the model; errors name the file. */
async function readJson(root: string, rel: string, maxBytes: number): Promise<unknown> {
  const resolved = await resolveInside(root, rel);
  if (resolved.kind !== 'file') throw new Error(pathFinding(rel, resolved)?.message ?? `${rel}: not a file`);
  return parseLenientJson(await readSmallTextFile(resolved.real, rel, resolved.size, maxBytes), rel);
}

/** Reads an optional JSON object beside the config; problems become warnings. */
async function readOptionalJson(ctx: Context, rel: string): Promise<JsonObject | undefined> {
  try {
    const resolved = await resolveInside(ctx.root, rel);
    if (resolved.kind !== 'file') return undefined;
    return parseJsonObject(await readSmallTextFile(resolved.real, rel, resolved.size, ctx.maxConfigBytes), rel);
  } catch (err) {
    ctx.findings.push({ severity: 'warning', code: 'json-unreadable', message: errorMessage(err), file: rel });
    return undefined;
  }
}

/** Symlinks in a folder that leave the model directory or point nowhere. */
async function symlinkFindings(root: string, entries: readonly DirEntry[]): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const entry of entries) {
    if (!entry.isSymlink) continue;
    const finding = pathFinding(entry.rel, await resolveInside(root, entry.rel));
    if (finding) findings.push(finding);
  }
  return findings;
}

async function inspectTransformers(
  ctx: Context,
  dir: string,
  discovered: Discovered,
  config: JsonObject,
): Promise<ModelInspection> {
  const entries = await listDir(ctx.root, discovered.modelRoot);
  // Tokenizer and sidecars may sit at the top of the volume when the config is in a sub-folder.
  const topEntries = discovered.modelRoot === '' ? [] : await listDir(ctx.root, '');
  const names = new Set([...entries, ...topEntries].map((e) => e.name));
  ctx.findings.push(...(await symlinkFindings(ctx.root, [...entries, ...topEntries])));

  const hfQuant = names.has('hf_quant_config.json')
    ? await readOptionalJson(ctx, joinRel(discovered.modelRoot, 'hf_quant_config.json'))
    : undefined;
  const capabilities = capabilitiesOf(config, {
    layout: 'transformers',
    sentenceTransformers: names.has('config_sentence_transformers.json') || names.has('modules.json'),
  });
  if (getString(config, 'model_type') === undefined && architectureOf(config) === undefined) {
    ctx.findings.push({
      severity: 'warning',
      code: 'config-incomplete',
      message: `${discovered.configFile} has neither model_type nor architectures`,
      file: discovered.configFile,
    });
  }
  const length = contextLength(config);
  const maxTokens = maxTokensField(length);
  if (length !== undefined && maxTokens === undefined) {
    ctx.findings.push({
      severity: 'warning',
      code: 'max-tokens-range',
      message: `context length ${length} does not fit spec.maxTokens (int32); it is left out`,
      file: discovered.configFile,
    });
  }
  const weights = await collectWeights(ctx, discovered.modelRoot, entries);
  ctx.findings.push(...tokenizerFindings(names, capabilities, discovered.modelRoot || 'the model directory'));

  const count = parameterCount(weights, () => estimateParameters(config));
  const dtype = dtypeOf(config);
  const transformersVersion = getString(config, 'transformers_version');
  const metadata: ModelMetadata = compact({
    modelType: getString(config, 'model_type'),
    modelArchitecture: architectureOf(config),
    modelFormat: weights.format,
    modelFramework: { name: 'transformers', ...(transformersVersion ? { version: transformersVersion } : {}) },
    modelCapabilities: capabilities.length > 0 ? capabilities : undefined,
    maxTokens,
    modelParameterSize: count ? formatParameterSize(count.value) : undefined,
    quantization: quantizationOf(config, hfQuant),
  });
  const memory = estimateMemory({
    config,
    dtype,
    parameterCount: count?.value,
    weightsBytes: exact(weights) ? weights.dataBytes : undefined,
    contextLength: length,
    generative: isGenerative(capabilities),
  });
  return compact({
    path: dir,
    configFile: discovered.configFile,
    layout: 'transformers' as const,
    metadata,
    dtype,
    parameterCount: count?.value,
    parameterSource: count?.source,
    memory,
    weightFiles: weights.files.map((f) => f.file),
    findings: [],
  });
}

async function inspectDiffusers(
  ctx: Context,
  dir: string,
  discovered: Discovered,
  index: JsonObject,
): Promise<ModelInspection> {
  const components = [...diffusersComponents(index).keys()];
  const top = await listDir(ctx.root, discovered.modelRoot);
  ctx.findings.push(...(await symlinkFindings(ctx.root, top)));
  const all: WeightSet[] = [];
  let tokenizerNames: string[] = [];
  for (const component of components) {
    const folder = joinRel(discovered.modelRoot, component);
    const entries = await listDir(ctx.root, folder);
    ctx.findings.push(...(await symlinkFindings(ctx.root, entries)));
    if (isTokenizerComponent(component)) tokenizerNames = [...tokenizerNames, ...entries.map((e) => e.name)];
    else if (entries.length > 0) all.push(await collectWeights(ctx, folder, entries, { quietIfNone: true }));
  }
  const weights = mergeWeightSets(all);
  if (weights.files.length === 0) {
    ctx.findings.push({ severity: 'error', code: 'no-weights', message: `no weight files in the components of ${discovered.configFile}` });
  }
  const capabilities: ModelCapability[] = capabilitiesOf(index, { layout: 'diffusers', sentenceTransformers: false });
  if (components.some(isTokenizerComponent)) {
    ctx.findings.push(...tokenizerFindings(tokenizerNames, ['TEXT_TO_IMAGE'], 'the tokenizer component'));
  }
  const count = parameterCount(weights, () => undefined);
  const version = getString(index, '_diffusers_version');
  const metadata: ModelMetadata = compact({
    modelArchitecture: getString(index, '_class_name'),
    modelFormat: { name: 'diffusers' },
    modelFramework: { name: 'diffusers', ...(version ? { version } : {}) },
    modelCapabilities: capabilities,
    modelParameterSize: count ? formatParameterSize(count.value) : undefined,
    diffusionPipeline: diffusionPipelineOf(index),
  });
  const memory = estimateMemory({
    config: index,
    dtype: undefined,
    parameterCount: count?.value,
    weightsBytes: exact(weights) ? weights.dataBytes : undefined,
    contextLength: undefined,
    generative: false,
  });
  return compact({
    path: dir,
    configFile: discovered.configFile,
    layout: 'diffusers' as const,
    metadata,
    parameterCount: count?.value,
    parameterSource: count?.source,
    memory,
    weightFiles: weights.files.map((f) => f.file),
    findings: [],
  });
}

function isGenerative(capabilities: readonly ModelCapability[]): boolean {
  return capabilities.some((c) => c === 'TEXT_TO_TEXT' || c === 'IMAGE_TEXT_TO_TEXT' || c === 'AUDIO_TO_TEXT');
}

/** Whether the headers describe all the weights: there are some, and every one was read. */
function exact(weights: WeightSet): boolean {
  return weights.complete && weights.files.length > 0;
}

/** Exact from the headers when every weight file was read, else the estimate. */
function parameterCount(weights: WeightSet, estimate: () => number | undefined): ParameterCount | undefined {
  if (exact(weights)) {
    try {
      return { value: countFromHeaders(weights.files.map((f) => f.header)), source: 'safetensors' };
    } catch {
      // An overflowing total is reported by the header reader's checks; fall back to the config.
    }
  }
  const value = estimate();
  return value !== undefined && value > 0 ? { value, source: 'config-estimate' } : undefined;
}

// ---------------------------------------------------------------------------------------------
// Weights

interface WeightFile {
  file: string;
  size: number;
  header: SafetensorsHeader;
}

interface WeightSet {
  format?: NameVersion;
  files: WeightFile[];
  /** Every safetensors file was found and its header read. */
  complete: boolean;
  /** Bytes of tensor data over all files. */
  dataBytes: number;
}

const SAFETENSORS_FORMAT: NameVersion = { name: 'safetensors', version: '1.0.0' };
const INDEX_SUFFIX = '.safetensors.index.json';
const PREFERRED_INDEXES = ['model.safetensors.index.json', 'diffusion_pytorch_model.safetensors.index.json'];

function mergeWeightSets(sets: readonly WeightSet[]): WeightSet {
  const files = sets.flatMap((s) => s.files);
  return {
    files,
    complete: sets.every((s) => s.complete),
    dataBytes: sets.reduce((sum, s) => sum + s.dataBytes, 0),
    ...(files.length > 0 ? { format: SAFETENSORS_FORMAT } : {}),
  };
}

/** `model.fp16.safetensors` beside `model.safetensors` is a variant: the default one is used. */
function withoutVariants(names: readonly string[]): string[] {
  const present = new Set(names);
  return names.filter((name) => {
    const m = /^(.+)\.[A-Za-z0-9_-]+\.safetensors$/.exec(name);
    return !(m && present.has(`${m[1]}.safetensors`));
  });
}

/** Formats other than safetensors, by file name (for modelFormat only; they are not read). */
function otherFormat(names: readonly string[]): NameVersion | undefined {
  if (names.some((n) => /\.(bin|pt|pth)$/.test(n) && /pytorch_model|model|consolidated/.test(n))) return { name: 'pytorch' };
  if (names.some((n) => n.endsWith('.gguf'))) return { name: 'gguf' };
  if (names.some((n) => n.endsWith('.onnx'))) return { name: 'onnx' };
  return undefined;
}

/** Finds the safetensors files of one folder (through its index when there is one) and reads their headers. */
async function collectWeights(
  ctx: Context,
  dirRel: string,
  entries: readonly DirEntry[],
  { quietIfNone = false }: { quietIfNone?: boolean } = {},
): Promise<WeightSet> {
  const names = entries.map((e) => e.name);
  const indexName =
    PREFERRED_INDEXES.find((n) => names.includes(n)) ?? names.find((n) => n.endsWith(INDEX_SUFFIX));
  let index: SafetensorsIndex | undefined;
  let indexFile: string | undefined;
  if (indexName !== undefined) {
    indexFile = joinRel(dirRel, indexName);
    try {
      index = parseSafetensorsIndex(indexFile, await readJson(ctx.root, indexFile, ctx.maxConfigBytes));
    } catch (err) {
      ctx.findings.push({ severity: 'error', code: 'index-invalid', message: errorMessage(err), file: indexFile });
    }
  }
  const shardNames = index?.shards ?? withoutVariants(names.filter((n) => n.endsWith('.safetensors')).sort());
  if (shardNames.length === 0) {
    const format = otherFormat(names);
    if (!quietIfNone && format === undefined) {
      ctx.findings.push({ severity: 'error', code: 'no-weights', message: `no weight files in ${dirRel || 'the model directory'}` });
    }
    // Nothing to read is nothing missing: completeness is about the files that should be read.
    return { files: [], complete: true, dataBytes: 0, ...(format ? { format } : {}) };
  }

  let complete = index !== undefined || indexName === undefined;
  const limit = Math.max(1, ctx.options.concurrency ?? 16);
  const results = await mapLimit(shardNames, limit, async (shard) => {
    const file = joinRel(dirRel, shard);
    const resolved = await resolveInside(ctx.root, file);
    if (resolved.kind !== 'file') {
      complete = false;
      ctx.findings.push(
        resolved.kind === 'missing'
          ? {
              severity: 'error',
              code: 'shard-missing',
              message: indexFile ? `${file} is named in ${indexFile} but does not exist` : `${file} does not exist`,
              file,
            }
          : (pathFinding(file, resolved) ?? { severity: 'error', code: 'shard-unreadable', message: `${file} is not a file`, file }),
      );
      return undefined;
    }
    try {
      const header = await readSafetensorsHeader(resolved.real, file, resolved.size, {
        maxHeaderBytes: ctx.options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
        budget: ctx.budget,
      });
      ctx.findings.push(...layoutFindings(file, header, resolved.size));
      return { shard, weight: { file, size: resolved.size, header } };
    } catch (err) {
      complete = false;
      ctx.findings.push({ severity: 'error', code: 'safetensors-header', message: errorMessage(err), file });
      return undefined;
    }
  });
  const read = results.filter((r) => r !== undefined);
  const files = read.map((r) => r.weight);
  if (index !== undefined && indexFile !== undefined) {
    ctx.findings.push(...indexFindings(indexFile, index, new Map(read.map((r) => [r.shard, r.weight.header]))));
  }
  ctx.findings.push(...duplicateTensorFindings(files));
  return {
    format: SAFETENSORS_FORMAT,
    files,
    complete,
    dataBytes: files.reduce((sum, f) => sum + f.header.dataLength, 0),
  };
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// ---------------------------------------------------------------------------------------------
// Findings and output shape

function dedupe(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.code}\u0000${f.file ?? ''}\u0000${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Errors first; otherwise the order in which they were found. */
function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => Number(a.severity === 'warning') - Number(b.severity === 'warning'));
}

/** Drops undefined properties, so that JSON output and deepEqual see only what is known. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
