// Which serving runtime serves a model: the one the InferenceService names, or the best
// auto-selectable runtime whose supported formats fit the model. Pure: same inputs, same answer.
import type { AnyBaseModel, AnyServingRuntime, SupportedModelFormat } from '../../api/ome.ts';
import { parseParameterSize } from '../../util/parameter-size.ts';

export type RuntimeChoice =
  | { ok: true; runtime: AnyServingRuntime; message: string }
  | {
      ok: false;
      reason: 'RuntimeNotFound' | 'RuntimeDisabled' | 'RuntimeNotCompatible' | 'NoRuntimeFound';
      message: string;
    };

const sameName = (a: string | undefined, b: string | undefined) =>
  a === undefined || b === undefined || a.toLowerCase() === b.toLowerCase();

/** The runtime's entry that supports the model, or undefined; with the reason it does not. */
export function matchingFormat(
  runtime: AnyServingRuntime,
  model: AnyBaseModel,
): SupportedModelFormat | undefined {
  return (runtime.spec.supportedModelFormats ?? []).find(
    (f) =>
      sameName(f.modelFormat?.name, model.spec.modelFormat?.name) &&
      sameName(f.modelFramework?.name, model.spec.modelFramework?.name) &&
      sameName(f.modelArchitecture, model.spec.modelArchitecture) &&
      sameName(f.quantization, model.spec.quantization),
  );
}

export function sizeFits(runtime: AnyServingRuntime, model: AnyBaseModel): boolean {
  const size = model.spec.modelParameterSize
    ? parseParameterSize(model.spec.modelParameterSize)
    : undefined;
  const range = runtime.spec.modelSizeRange;
  if (size === undefined || !range) return true;
  const min = range.min ? parseParameterSize(range.min) : undefined;
  const max = range.max ? parseParameterSize(range.max) : undefined;
  return (min === undefined || size >= min) && (max === undefined || size <= max);
}

function describe(runtime: AnyServingRuntime): string {
  return `${runtime.kind} ${runtime.metadata.name}`;
}

export function selectRuntime(
  model: AnyBaseModel,
  runtimes: readonly AnyServingRuntime[],
  requested?: string,
): RuntimeChoice {
  if (requested !== undefined) {
    // A namespaced runtime shadows a cluster runtime of the same name.
    const named = [...runtimes]
      .filter((r) => r.metadata.name === requested)
      .sort(
        (a, b) => (a.kind === 'ServingRuntime' ? -1 : 0) - (b.kind === 'ServingRuntime' ? -1 : 0),
      )[0];
    if (!named)
      return {
        ok: false,
        reason: 'RuntimeNotFound',
        message: `no ServingRuntime or ClusterServingRuntime named ${requested}`,
      };
    if (named.spec.disabled)
      return { ok: false, reason: 'RuntimeDisabled', message: `${describe(named)} is disabled` };
    if (!matchingFormat(named, model) && (named.spec.supportedModelFormats ?? []).length > 0) {
      return {
        ok: false,
        reason: 'RuntimeNotCompatible',
        message: `${describe(named)} supports none of the model's format, framework and architecture`,
      };
    }
    if (!sizeFits(named, model)) {
      return {
        ok: false,
        reason: 'RuntimeNotCompatible',
        message: `model size ${model.spec.modelParameterSize} is outside ${describe(named)}'s modelSizeRange`,
      };
    }
    return { ok: true, runtime: named, message: `using ${describe(named)} (named by the service)` };
  }
  const candidates = runtimes
    .filter((r) => !r.spec.disabled && sizeFits(r, model))
    .flatMap((r) => {
      const format = matchingFormat(r, model);
      return format?.autoSelect ? [{ runtime: r, priority: format.priority ?? 0 }] : [];
    })
    .sort(
      (a, b) =>
        b.priority - a.priority ||
        Number(a.runtime.kind === 'ClusterServingRuntime') -
          Number(b.runtime.kind === 'ClusterServingRuntime') ||
        (a.runtime.metadata.name ?? '').localeCompare(b.runtime.metadata.name ?? ''),
    );
  const best = candidates[0];
  if (!best) {
    return {
      ok: false,
      reason: 'NoRuntimeFound',
      message:
        "no enabled, auto-selectable runtime supports the model's format, architecture and size",
    };
  }
  return {
    ok: true,
    runtime: best.runtime,
    message: `auto-selected ${describe(best.runtime)} (priority ${best.priority})`,
  };
}
