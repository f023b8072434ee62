// Admission rules for BaseModel, ClusterBaseModel, ServingRuntime and InferenceService.
import type { AnyBaseModel, InferenceService, ServingRuntimeSpec } from '../api/ome.ts';
import { isPvcUri, parsePvcStorageUri, type PvcStorageUri } from '../storage/pvc-uri.ts';
import { parseParameterSize } from '../util/parameter-size.ts';
import { error, warning, type Problem } from './problems.ts';

const URI_FIELD = ['spec', 'storage', 'storageUri'];

export type ModelScope = 'BaseModel' | 'ClusterBaseModel';

/** The claim a model's URI names, checked against the model's scope; an error text otherwise. */
export function resolveModelClaim(
  kind: ModelScope,
  uri: string,
): { ok: true; claim: PvcStorageUri } | { ok: false; error: string } {
  const parsed = parsePvcStorageUri(uri);
  if (!parsed.ok) return parsed;
  if (kind === 'BaseModel' && parsed.value.namespace !== undefined) {
    return {
      ok: false,
      error: `invalid PVC storage URI format: a BaseModel uses the claim in its own namespace; write pvc://${parsed.value.claimName}/${parsed.value.subPath} (the {namespace}: form is for ClusterBaseModel)`,
    };
  }
  if (kind === 'ClusterBaseModel' && parsed.value.namespace === undefined) {
    return {
      ok: false,
      error: `invalid PVC storage URI format: a ClusterBaseModel must name the claim's namespace: pvc://{namespace}:${parsed.value.claimName}/${parsed.value.subPath}`,
    };
  }
  return { ok: true, claim: parsed.value };
}

export function validateBaseModel(model: AnyBaseModel): Problem[] {
  const uri = model.spec.storage.storageUri;
  if (!isPvcUri(uri)) {
    const scheme = uri.includes('://') ? uri.slice(0, uri.indexOf('://') + 3) : uri;
    return [
      warning(
        URI_FIELD,
        `storage scheme "${scheme}" is not handled by nbv (only pvc://); the model is kept but not reconciled`,
      ),
    ];
  }
  const resolved = resolveModelClaim(model.kind, uri);
  return resolved.ok ? [] : [error(URI_FIELD, resolved.error)];
}

export function validateServingRuntimeSpec(spec: ServingRuntimeSpec): Problem[] {
  const problems: Problem[] = [];
  const range = spec.modelSizeRange;
  const bounds: Record<string, number | undefined> = {};
  for (const key of ['min', 'max'] as const) {
    const text = range?.[key];
    if (text === undefined) continue;
    bounds[key] = parseParameterSize(text);
    if (bounds[key] === undefined)
      problems.push(
        error(
          ['spec', 'modelSizeRange', key],
          `"${text}" is not a parameter size such as 135M, 8B or 1.5T`,
        ),
      );
  }
  if (bounds.min !== undefined && bounds.max !== undefined && bounds.min > bounds.max) {
    problems.push(error(['spec', 'modelSizeRange', 'min'], 'must not be greater than max'));
  }
  if (!spec.engineConfig?.runner?.image) {
    problems.push(
      warning(
        ['spec', 'engineConfig', 'runner', 'image'],
        'no runner image: InferenceServices cannot use this runtime',
      ),
    );
  }
  return problems;
}

export function validateInferenceService(isvc: InferenceService): Problem[] {
  const problems: Problem[] = [];
  const engine = isvc.spec.engine;
  if (
    engine?.minReplicas !== undefined &&
    engine.maxReplicas !== undefined &&
    engine.minReplicas > engine.maxReplicas
  ) {
    problems.push(error(['spec', 'engine', 'minReplicas'], 'must not be greater than maxReplicas'));
  }
  if (isvc.spec.router !== undefined) {
    problems.push(
      warning(
        ['spec', 'router'],
        'routers are not implemented by nbv; the engine is served directly',
      ),
    );
  }
  return problems;
}

/**
 * An InferenceService's pods can mount only claims in their own namespace: a ClusterBaseModel
 * whose claim lives elsewhere cannot be served there.
 */
export function checkClaimNamespace(
  serviceNamespace: string,
  claim: PvcStorageUri,
): string | undefined {
  if (claim.namespace !== undefined && claim.namespace !== serviceNamespace) {
    return `the model's claim ${claim.claimName} is in namespace ${claim.namespace}; pods in ${serviceNamespace} cannot mount it (create the InferenceService in ${claim.namespace})`;
  }
  return undefined;
}
