// Benchmark: `inspectModel` on a model of 1,000 safetensors shards plus an index, as the
// metadata Job would meet a large MoE checkpoint. Shards are sparse files (a real header, then
// ftruncate to the full size), so the 1,000 x 2 GiB model takes a few megabytes of disk.
// Run: node bench/model-inspect.ts [--shards N] [--tensors N] [--runs N]
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { shardName, tempDir, writeSafetensors, type TensorSpec } from '../src/model/fixtures.ts';
import { inspectModel } from '../src/model/inspect.ts';

export interface ModelInspectBench {
  shards: number;
  tensors: number;
  parameters: number;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Peak resident set size during the runs, above the resident size before them (bytes). */
  peakRssDeltaBytes: number;
}

export const TARGET_MEDIAN_MS = 1000;

/** One shard: `tensorsPerShard` expert-sized matrices of one layer. */
function shardTensors(shard: number, tensorsPerShard: number): TensorSpec[] {
  return Array.from({ length: tensorsPerShard }, (_, t) => ({
    name: `model.layers.${shard}.mlp.experts.${t}.down_proj.weight`,
    dtype: 'BF16',
    shape: [2048, 1024],
  }));
}

export async function buildModel(
  dir: string,
  shards: number,
  tensorsPerShard: number,
): Promise<number> {
  await writeFile(
    path.join(dir, 'config.json'),
    JSON.stringify({
      architectures: ['DeepseekV3ForCausalLM'],
      model_type: 'deepseek_v3',
      torch_dtype: 'bfloat16',
    }),
  );
  await writeFile(path.join(dir, 'tokenizer.json'), '{}');
  const weightMap: Record<string, string> = {};
  let parameters = 0;
  let totalSize = 0;
  for (let s = 0; s < shards; s++) {
    const name = shardName(s, shards);
    const tensors = shardTensors(s, tensorsPerShard);
    const written = await writeSafetensors(path.join(dir, name), tensors);
    parameters += written.parameters;
    totalSize += written.dataLength;
    for (const t of tensors) weightMap[t.name] = name;
  }
  await writeFile(
    path.join(dir, 'model.safetensors.index.json'),
    JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }),
  );
  return parameters;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export async function benchModelInspect({
  shards = 1000,
  tensorsPerShard = 100,
  runs = 7,
}: { shards?: number; tensorsPerShard?: number; runs?: number } = {}): Promise<ModelInspectBench> {
  const { dir, cleanup } = await tempDir('nbv-bench-model-');
  try {
    const parameters = await buildModel(dir, shards, tensorsPerShard);
    const check = await inspectModel(dir); // warm-up, and a check that the bench measures real work
    if (check.parameterCount !== parameters || check.findings.length > 0) {
      throw new Error(
        `unexpected inspection: ${check.parameterCount} parameters, ${JSON.stringify(check.findings.slice(0, 3))}`,
      );
    }
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 5);
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const start = performance.now();
      await inspectModel(dir);
      times.push(performance.now() - start);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    clearInterval(sampler);
    return {
      shards,
      tensors: shards * tensorsPerShard,
      parameters,
      runs,
      medianMs: median(times),
      minMs: Math.min(...times),
      maxMs: Math.max(...times),
      peakRssDeltaBytes: peakRss - rssBefore,
    };
  } finally {
    await cleanup();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { shards: { type: 'string' }, tensors: { type: 'string' }, runs: { type: 'string' } },
  });
  const r = await benchModelInspect({
    shards: Number(values.shards ?? 1000),
    tensorsPerShard: Number(values.tensors ?? 100),
    runs: Number(values.runs ?? 7),
  });
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  console.log(
    `model-inspect: ${r.shards} shards, ${r.tensors} tensors, ${r.parameters.toLocaleString('en-US')} parameters; ` +
      `${r.runs} runs: median ${r.medianMs.toFixed(1)} ms (min ${r.minMs.toFixed(1)}, max ${r.maxMs.toFixed(1)}), ` +
      `peak RSS +${mib(r.peakRssDeltaBytes)} MiB; target median < ${TARGET_MEDIAN_MS} ms: ` +
      (r.medianMs < TARGET_MEDIAN_MS ? 'met' : 'MISSED'),
  );
}
