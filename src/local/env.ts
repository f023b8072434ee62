// A container's environment as the kubelet would give it: value, valueFrom (secretKeyRef,
// configMapKeyRef) and envFrom, resolved against the Secrets and ConfigMaps of the YAML stream.
import type { V1Container } from '@kubernetes/client-node';
import { UserError } from '../errors.ts';
import type { KeyValues, LocalObjects } from './manifests.ts';

function source(
  objects: LocalObjects,
  kind: 'Secret' | 'ConfigMap',
  name: string,
): KeyValues | undefined {
  return (kind === 'Secret' ? objects.secrets : objects.configMaps).get(name);
}

export function containerEnv(
  container: V1Container,
  objects: LocalObjects,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const [kind, ref] = from.secretRef
      ? (['Secret', from.secretRef] as const)
      : (['ConfigMap', from.configMapRef] as const);
    if (!ref) continue;
    const data = source(objects, kind, ref.name ?? '');
    if (!data) {
      if (ref.optional) continue;
      throw new UserError(
        `${container.name}: envFrom names ${kind} "${ref.name}", which is not in the YAML stream (add it, or mark it optional)`,
      );
    }
    for (const [k, v] of data) env[`${from.prefix ?? ''}${k}`] = v.toString('utf8');
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) {
      env[e.name] = e.value;
      continue;
    }
    const secret = e.valueFrom?.secretKeyRef;
    const config = e.valueFrom?.configMapKeyRef;
    const [kind, ref] = secret
      ? (['Secret', secret] as const)
      : config
        ? (['ConfigMap', config] as const)
        : ([undefined, undefined] as const);
    if (!kind || !ref) continue;
    const value = source(objects, kind, ref.name ?? '')?.get(ref.key);
    if (value === undefined) {
      if (ref.optional) continue;
      throw new UserError(
        `${container.name}: env ${e.name} needs key "${ref.key}" of ${kind} "${ref.name}", which is not in the YAML stream`,
      );
    }
    env[e.name] = value.toString('utf8');
  }
  return env;
}
