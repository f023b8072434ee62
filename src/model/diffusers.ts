// Diffusers pipelines: model_index.json names the pipeline class and maps each component
// folder to [library, class]; keys starting with `_` are settings, and a [null, null] entry is
// a component the pipeline leaves out.
import type { JsonObject } from './json.ts';
import type { DiffusionComponent, DiffusionPipeline } from './types.ts';

/** Component name -> [library, class], for the components the pipeline has. */
export function diffusersComponents(index: JsonObject): Map<string, DiffusionComponent> {
  const components = new Map<string, DiffusionComponent>();
  for (const [name, value] of Object.entries(index)) {
    if (name.startsWith('_') || !Array.isArray(value)) continue;
    const [library, type] = value as unknown[];
    if (typeof library !== 'string' && typeof type !== 'string') continue;
    components.set(name, {
      ...(typeof library === 'string' ? { library } : {}),
      ...(typeof type === 'string' ? { type } : {}),
    });
  }
  return components;
}

/** The components that spec.diffusionPipeline names; the others go to additionalComponents. */
const NAMED_COMPONENTS: Record<
  string,
  keyof Omit<DiffusionPipeline, 'className' | 'additionalComponents'>
> = {
  scheduler: 'scheduler',
  text_encoder: 'textEncoder',
  tokenizer: 'tokenizer',
  transformer: 'transformer',
  vae: 'vae',
};

/** OME's `spec.diffusionPipeline` from model_index.json. */
export function diffusionPipelineOf(index: JsonObject): DiffusionPipeline {
  const pipeline: DiffusionPipeline = {};
  const className = index._class_name;
  if (typeof className === 'string' && className !== '') pipeline.className = className;
  const additional: Record<string, DiffusionComponent> = {};
  for (const [name, component] of diffusersComponents(index)) {
    const field = Object.hasOwn(NAMED_COMPONENTS, name) ? NAMED_COMPONENTS[name] : undefined;
    if (field !== undefined) pipeline[field] = component;
    else additional[name] = component;
  }
  if (Object.keys(additional).length > 0) pipeline.additionalComponents = additional;
  return pipeline;
}

/** Tokenizer folders (`tokenizer`, `tokenizer_2`, ...) hold no weights. */
export function isTokenizerComponent(name: string): boolean {
  return /^tokenizer(_\d+)?$/.test(name);
}
