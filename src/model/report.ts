// Output of `nbv model inspect`: a table for people, and the compact JSON result that the
// metadata Job writes as its termination message (Kubernetes keeps at most 4 KiB of it).
import { z } from 'zod';
import type { NotAModelReason } from './inspect.ts';
import type { Finding, ModelInspection, ModelMetadata } from './types.ts';

export const TERMINATION_MESSAGE_LIMIT = 4096;

/** Why there is no inspection: the directory is not a model, or nbv failed reading it. */
export type FailureReason = NotAModelReason | 'internal-error';

/** The termination message of the metadata Job: what the BaseModel controller reads. */
export type InspectResult =
  | {
      v: 1;
      ok: true;
      configFile: string;
      layout: ModelInspection['layout'];
      metadata: ModelMetadata;
      dtype?: string;
      parameterCount?: number;
      parameterSource?: ModelInspection['parameterSource'];
      memory?: {
        weightsBytes: number;
        kvCacheBytes: number;
        kvCacheTokens: number;
        totalBytes: number;
      };
      findings: Finding[];
      /** Findings left out to fit the size limit. */
      findingsOmitted?: number;
      /** Some text was shortened to fit the size limit. */
      truncated?: true;
    }
  | {
      v: 1;
      ok: false;
      reason: FailureReason;
      error: string;
      findings: Finding[];
      findingsOmitted?: number;
      truncated?: true;
    };

export function inspectResult(inspection: ModelInspection): InspectResult {
  const { memory } = inspection;
  return {
    v: 1,
    ok: true,
    configFile: inspection.configFile,
    layout: inspection.layout,
    metadata: inspection.metadata,
    ...(inspection.dtype !== undefined ? { dtype: inspection.dtype } : {}),
    ...(inspection.parameterCount !== undefined
      ? { parameterCount: inspection.parameterCount }
      : {}),
    ...(inspection.parameterSource !== undefined
      ? { parameterSource: inspection.parameterSource }
      : {}),
    ...(memory
      ? {
          memory: {
            weightsBytes: memory.weightsBytes,
            kvCacheBytes: memory.kvCacheBytes,
            kvCacheTokens: memory.kvCacheTokens,
            totalBytes: memory.totalBytes,
          },
        }
      : {}),
    findings: inspection.findings,
  };
}

export function failureResult(
  reason: FailureReason,
  error: string,
  findings: Finding[] = [],
): InspectResult {
  return { v: 1, ok: false, reason, error, findings };
}

const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Shortens every string value deeper than the top level (names, messages) to `max` characters. */
function shortenStrings<T>(value: T, max: number): T {
  if (typeof value === 'string') return shorten(value, max) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => shortenStrings(v, max)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, shortenStrings(v, max)]),
    ) as T;
  }
  return value;
}

/**
 * The result as compact JSON of at most `limit` bytes. When it does not fit, finding messages
 * are shortened, then findings are left out from the end (warnings go first, errors are
 * sorted ahead of them) and counted in `findingsOmitted`, then all text is shortened.
 */
export function terminationMessage(
  result: InspectResult,
  limit = TERMINATION_MESSAGE_LIMIT,
): string {
  const fits = (r: InspectResult): boolean => byteLength(JSON.stringify(r)) <= limit;
  if (fits(result)) return JSON.stringify(result);

  const findings = result.findings.map((f) => ({ ...f, message: shorten(f.message, 200) }));
  let trimmed: InspectResult = { ...result, findings, truncated: true };
  if (!fits(trimmed)) {
    // The largest number of findings that still fits, by bisection.
    let lo = 0;
    let hi = findings.length;
    const withFirst = (n: number): InspectResult => ({
      ...trimmed,
      findings: findings.slice(0, n),
      findingsOmitted: findings.length - n + (result.findingsOmitted ?? 0),
    });
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(withFirst(mid))) lo = mid;
      else hi = mid - 1;
    }
    trimmed = withFirst(lo);
  }
  // 32 keeps enum values whole (IMAGE_TEXT_TO_TEXT is the longest).
  for (const max of [256, 64, 32]) {
    if (fits(trimmed)) break;
    trimmed = { ...shortenStrings(trimmed, max), v: 1 };
  }
  // Last resort (a pipeline with hundreds of components): keep the scalar metadata fields.
  if (!fits(trimmed) && trimmed.ok) {
    const { diffusionPipeline: _dropped, ...metadata } = trimmed.metadata;
    trimmed = { ...trimmed, metadata };
  }
  return JSON.stringify(trimmed);
}

// ---------------------------------------------------------------------------------------------
// Reading the termination message back (the BaseModel controller)

const FindingSchema = z.object({
  severity: z.enum(['error', 'warning']),
  code: z.string(),
  message: z.string(),
  file: z.string().optional(),
});
const NameVersionSchema = z.object({ name: z.string(), version: z.string().optional() });
const ComponentSchema = z.object({ library: z.string().optional(), type: z.string().optional() });

const MetadataSchema = z.object({
  modelType: z.string().optional(),
  modelArchitecture: z.string().optional(),
  modelFormat: NameVersionSchema.optional(),
  modelFramework: NameVersionSchema.optional(),
  modelCapabilities: z
    .array(
      z.enum([
        'TEXT_TO_TEXT',
        'EMBEDDING',
        'RERANK',
        'IMAGE_TEXT_TO_TEXT',
        'AUDIO_TO_TEXT',
        'TEXT_TO_IMAGE',
      ]),
    )
    .optional(),
  maxTokens: z
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
  modelParameterSize: z.string().optional(),
  quantization: z.string().optional(),
  diffusionPipeline: z
    .object({
      className: z.string().optional(),
      scheduler: ComponentSchema.optional(),
      textEncoder: ComponentSchema.optional(),
      tokenizer: ComponentSchema.optional(),
      transformer: ComponentSchema.optional(),
      vae: ComponentSchema.optional(),
      additionalComponents: z.record(z.string(), ComponentSchema).optional(),
    })
    .optional(),
});

const common = {
  v: z.literal(1),
  findings: z.array(FindingSchema),
  findingsOmitted: z.int().min(0).optional(),
  truncated: z.literal(true).optional(),
};

const InspectResultSchema = z.union([
  z.object({
    ...common,
    ok: z.literal(true),
    configFile: z.string(),
    layout: z.enum(['transformers', 'diffusers']),
    metadata: MetadataSchema,
    dtype: z.string().optional(),
    parameterCount: z.int().min(0).optional(),
    parameterSource: z.enum(['safetensors', 'config-estimate']).optional(),
    memory: z
      .object({
        weightsBytes: z.number().min(0),
        kvCacheBytes: z.number().min(0),
        kvCacheTokens: z.number().min(0),
        totalBytes: z.number().min(0),
      })
      .optional(),
  }),
  z.object({
    ...common,
    ok: z.literal(false),
    reason: z.enum(['not-found', 'not-a-directory', 'no-config', 'bad-config', 'internal-error']),
    error: z.string(),
  }),
]);

/** Parses a metadata Job's termination message; throws with the offending field on bad input. */
export function parseInspectResult(text: string): InspectResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(
      `model inspect result is not JSON: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
      },
    );
  }
  const parsed = InspectResultSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `model inspect result is invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'unknown'}`,
    );
  }
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// Human table

function row(label: string, value: string | undefined): string[] {
  return value === undefined || value === '' ? [] : [`${label.padEnd(14)}${value}`];
}

function nameVersion(nv: { name: string; version?: string } | undefined): string | undefined {
  return nv && (nv.version ? `${nv.name} ${nv.version}` : nv.name);
}

/** Exact weights come from the headers; otherwise from the parameter count and dtype. */
function weightsText(inspection: ModelInspection, human: string): string {
  return inspection.parameterSource === 'safetensors'
    ? `${human} in ${inspection.weightFiles.length} safetensors file(s)`
    : `${human} (estimated from the parameter count and dtype)`;
}

export function renderTable(inspection: ModelInspection): string {
  const m = inspection.metadata;
  const count = inspection.parameterCount;
  const source =
    inspection.parameterSource === 'safetensors'
      ? 'from safetensors headers'
      : 'estimated from the config';
  const mem = inspection.memory;
  const lines = [
    ...row('Model', inspection.path),
    ...row('Config', `${inspection.configFile} (${inspection.layout})`),
    ...row('Type', m.modelType),
    ...row('Architecture', m.modelArchitecture),
    ...row(
      'Pipeline',
      m.diffusionPipeline?.className === m.modelArchitecture
        ? undefined
        : m.diffusionPipeline?.className,
    ),
    ...row('Capabilities', m.modelCapabilities?.join(', ')),
    ...row('Context', m.maxTokens !== undefined ? `${m.maxTokens} tokens` : undefined),
    ...row(
      'Parameters',
      count !== undefined
        ? `${m.modelParameterSize ?? ''} (${count.toLocaleString('en-US')}, ${source})`
        : undefined,
    ),
    ...row('Dtype', inspection.dtype),
    ...row('Quantization', m.quantization),
    ...row('Format', nameVersion(m.modelFormat)),
    ...row('Framework', nameVersion(m.modelFramework)),
    ...row('Weights', mem ? weightsText(inspection, mem.weightsHuman) : undefined),
    ...row(
      'KV cache',
      mem && mem.kvCacheTokens > 0
        ? `${mem.kvCacheHuman} (${mem.kvCacheTokens} tokens, batch 1)`
        : undefined,
    ),
    ...row('Memory', mem ? `${mem.totalHuman} (weights + KV cache; an estimate)` : undefined),
  ];
  lines.push('');
  const errors = inspection.findings.filter((f) => f.severity === 'error').length;
  const warnings = inspection.findings.length - errors;
  if (inspection.findings.length === 0) {
    lines.push('Preflight     ok (no findings)');
  } else {
    lines.push(`Preflight     ${errors} error(s), ${warnings} warning(s)`);
    const width = Math.max(...inspection.findings.map((f) => f.code.length));
    for (const f of inspection.findings)
      lines.push(`  ${f.severity.padEnd(8)} ${f.code.padEnd(width)}  ${f.message}`);
  }
  return `${lines.join('\n')}\n`;
}
