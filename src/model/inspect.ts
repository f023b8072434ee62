// `nbv model inspect`: what is in a model directory, and would a runtime serve it. This module
// only orchestrates: reading is in model-fs/discovery/safetensors, deciding in the pure modules.
import { realpath, stat } from 'node:fs/promises';
import { errorMessage } from '../errors.ts';
import { capabilitiesOf, isGenerative } from './capabilities.ts';
import { architectureOf, dtypeOf, getString, quantizationOf } from './config.ts';
import { contextLength, maxTokensField } from './context-length.ts';
import { diffusersComponents, diffusionPipelineOf, isTokenizerComponent } from './diffusers.ts';
import { DEFAULT_DISCOVERY_OPTIONS, discoverConfig, type Discovered } from './discovery.ts';
import { isJsonObject, type JsonObject } from './json.ts';
import { estimateMemory } from './memory.ts';
import { ModelDir, joinRel, pathFinding, type DirEntry } from './model-fs.ts';
import { countFromHeaders, estimateParameters, formatParameterSize } from './parameters.ts';
import { listSome, tokenizerFindings } from './preflight.ts';
import { ByteBudget } from './safetensors.ts';
import type { Finding, ModelInspection, ModelMetadata, ParameterSource } from './types.ts';
import {
  collectWeights,
  isExact,
  mergeWeightSets,
  type WeightReadOptions,
  type WeightSet,
} from './weights.ts';

const DEFAULT_HEADER_BUDGET_BYTES = 64 * 1024 * 1024;

interface ParameterCount {
  value: number;
  source: ParameterSource;
}

export interface InspectOptions {
  /** Largest safetensors header accepted, in bytes (default 100 MiB). */
  maxHeaderBytes?: number;
  /** Largest config file read, in bytes (default 16 MiB). */
  maxConfigBytes?: number;
  /** Largest safetensors index read, in bytes (default 64 MiB: MoE indexes list 100k+ tensors). */
  maxIndexBytes?: number;
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

export async function inspectModel(
  dir: string,
  options: InspectOptions = {},
): Promise<ModelInspection> {
  const root = new ModelDir(await modelRoot(dir));
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
  const config = await root
    .readJson(discovered.configFile, maxConfigBytes)
    .catch((err: unknown) => {
      throw new NotAModelError('bad-config', errorMessage(err), findings);
    });
  if (!isJsonObject(config)) {
    throw new NotAModelError(
      'bad-config',
      `${discovered.configFile}: expected a JSON object`,
      findings,
    );
  }
  const weightOptions: WeightReadOptions = {
    ...options,
    budget: new ByteBudget(options.headerBudgetBytes ?? DEFAULT_HEADER_BUDGET_BYTES),
  };
  const ctx: Context = { root, maxConfigBytes, weightOptions, findings };
  const described =
    discovered.layout === 'diffusers'
      ? await describeDiffusers(ctx, discovered, config)
      : await describeTransformers(ctx, discovered, config);
  return { ...assemble(dir, discovered, described), findings: sortFindings(dedupe(findings)) };
}

interface Context {
  root: ModelDir;
  maxConfigBytes: number;
  weightOptions: WeightReadOptions;
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
    throw new NotAModelError(
      'not-a-directory',
      `${dir} is not a directory (nbv model inspect takes the model's directory)`,
    );
  }
  return real;
}

/** Reads an optional JSON object beside the config; problems become warnings. */
async function readOptionalJson(ctx: Context, rel: string): Promise<JsonObject | undefined> {
  try {
    const json = await ctx.root.readJson(rel, ctx.maxConfigBytes);
    if (isJsonObject(json)) return json;
    throw new Error(`${rel}: expected a JSON object`);
  } catch (err) {
    ctx.findings.push({
      severity: 'warning',
      code: 'json-unreadable',
      message: errorMessage(err),
      file: rel,
    });
    return undefined;
  }
}

/** Symlinks in a folder that leave the model directory or point nowhere. */
async function symlinkFindings(root: ModelDir, entries: readonly DirEntry[]): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const entry of entries) {
    if (!entry.isSymlink) continue;
    const finding = pathFinding(entry.rel, await root.resolve(entry.rel));
    if (finding) findings.push(finding);
  }
  return findings;
}

/** What a layout found; `assemble` turns it into the inspection. */
interface Described {
  config: JsonObject;
  metadata: ModelMetadata;
  weights: WeightSet;
  dtype?: string;
  contextLength?: number;
  generative: boolean;
  estimate: () => number | undefined;
}

function assemble(dir: string, discovered: Discovered, d: Described): ModelInspection {
  const count = parameterCount(d.weights, d.estimate);
  const memory = estimateMemory({
    config: d.config,
    dtype: d.dtype,
    parameterCount: count?.value,
    weightsBytes: isExact(d.weights) ? d.weights.dataBytes : undefined,
    contextLength: d.contextLength,
    generative: d.generative,
  });
  const modelParameterSize = count ? formatParameterSize(count.value) : undefined;
  return compact({
    path: dir,
    configFile: discovered.configFile,
    layout: discovered.layout,
    metadata: compact({ ...d.metadata, modelParameterSize }),
    dtype: d.dtype,
    parameterCount: count?.value,
    parameterSource: count?.source,
    memory,
    weightFiles: d.weights.files.map((f) => f.file),
    findings: [],
  });
}

async function describeTransformers(
  ctx: Context,
  discovered: Discovered,
  config: JsonObject,
): Promise<Described> {
  const entries = await ctx.root.list(discovered.modelRoot);
  // Tokenizer and sidecars may sit at the top of the volume when the config is in a sub-folder.
  const topEntries = discovered.modelRoot === '' ? [] : await ctx.root.list('');
  const names = new Set([...entries, ...topEntries].map((e) => e.name));
  ctx.findings.push(...(await symlinkFindings(ctx.root, [...entries, ...topEntries])));

  const hfQuant = names.has('hf_quant_config.json')
    ? await readOptionalJson(ctx, joinRel(discovered.modelRoot, 'hf_quant_config.json'))
    : undefined;
  const capabilities = capabilitiesOf(config, {
    layout: 'transformers',
    sentenceTransformers:
      names.has('config_sentence_transformers.json') || names.has('modules.json'),
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
  const weights = await collectWeights(ctx.root, discovered.modelRoot, entries, ctx.weightOptions);
  ctx.findings.push(...weights.findings);
  ctx.findings.push(
    ...tokenizerFindings(names, capabilities, discovered.modelRoot || 'the model directory'),
  );

  const transformersVersion = getString(config, 'transformers_version');
  return {
    config,
    metadata: compact({
      modelType: getString(config, 'model_type'),
      modelArchitecture: architectureOf(config),
      modelFormat: weights.format,
      modelFramework: {
        name: 'transformers',
        ...(transformersVersion ? { version: transformersVersion } : {}),
      },
      modelCapabilities: capabilities.length > 0 ? capabilities : undefined,
      maxTokens,
      quantization: quantizationOf(config, hfQuant),
    }),
    weights,
    dtype: dtypeOf(config),
    contextLength: length,
    generative: isGenerative(capabilities),
    estimate: () => estimateParameters(config),
  };
}

async function describeDiffusers(
  ctx: Context,
  discovered: Discovered,
  index: JsonObject,
): Promise<Described> {
  const components = [...diffusersComponents(index).keys()];
  ctx.findings.push(
    ...(await symlinkFindings(ctx.root, await ctx.root.list(discovered.modelRoot))),
  );
  const sets: WeightSet[] = [];
  const tokenizerNames: string[] = [];
  for (const component of components) {
    const folder = joinRel(discovered.modelRoot, component);
    const entries = await ctx.root.list(folder);
    ctx.findings.push(...(await symlinkFindings(ctx.root, entries)));
    if (isTokenizerComponent(component)) {
      tokenizerNames.push(...entries.map((e) => e.name));
    } else if (entries.length > 0) {
      const options = { ...ctx.weightOptions, optional: true };
      sets.push(await collectWeights(ctx.root, folder, entries, options));
    }
  }
  const weights = mergeWeightSets(sets);
  ctx.findings.push(...weights.findings);
  if (weights.files.length === 0) {
    ctx.findings.push({
      severity: 'error',
      code: 'no-weights',
      message: `no weight files in the components of ${discovered.configFile}`,
    });
  }
  if (components.some(isTokenizerComponent)) {
    ctx.findings.push(
      ...tokenizerFindings(tokenizerNames, ['TEXT_TO_IMAGE'], 'the tokenizer component'),
    );
  }
  const version = getString(index, '_diffusers_version');
  return {
    config: index,
    metadata: compact({
      modelArchitecture: getString(index, '_class_name'),
      modelFormat: { name: 'diffusers' },
      modelFramework: { name: 'diffusers', ...(version ? { version } : {}) },
      modelCapabilities: capabilitiesOf(index, {
        layout: 'diffusers',
        sentenceTransformers: false,
      }),
      diffusionPipeline: diffusionPipelineOf(index),
    }),
    weights,
    generative: false,
    // Pipelines have no single config to size from: exact counts only.
    estimate: () => undefined,
  };
}

/** Exact from the headers when every weight file was read, else the estimate. */
function parameterCount(
  weights: WeightSet,
  estimate: () => number | undefined,
): ParameterCount | undefined {
  if (isExact(weights)) {
    try {
      return { value: countFromHeaders(weights.files), source: 'safetensors' };
    } catch {
      // An overflowing total is reported by the header reader's checks; fall back to the config.
    }
  }
  const value = estimate();
  return value !== undefined && value > 0 ? { value, source: 'config-estimate' } : undefined;
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
  return [...findings].sort(
    (a, b) => Number(a.severity === 'warning') - Number(b.severity === 'warning'),
  );
}

/** Drops undefined properties, so that JSON output and deepEqual see only what is known. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
