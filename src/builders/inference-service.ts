// InferenceService + runtime + model -> the engine Deployment and its Service. The model's
// claim is mounted read-only at /opt/ml/model with the URI's sub-path; no node affinity is
// needed, because the scheduler already places pods where the claim can be mounted.
import type {
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1Service,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type {
  AnyServingRuntime,
  ComponentConfig,
  Container,
  InferenceService,
} from '../api/ome.ts';
import type { PvcStorageUri } from '../storage/pvc-uri.ts';
import { LABEL_INFERENCE_SERVICE, commonLabels, labelValue } from './labels.ts';
import { boundedName } from './names.ts';
import { ownerReferences } from './owner.ts';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from './security.ts';

export const MODEL_PATH = '/opt/ml/model';
export const MODEL_VOLUME = 'model-pvc';
const DEFAULT_PORT = 8080;

export interface ServingObjects {
  deployment: V1Deployment;
  service: V1Service;
}

export function engineName(serviceName: string): string {
  return boundedName(serviceName, '-engine');
}

/** Env by name: later lists win, order of first appearance is kept. */
type RunnerEnv = NonNullable<Container['env']>;
function mergeEnv(...lists: (RunnerEnv | undefined)[]): RunnerEnv {
  const byName = new Map<string, RunnerEnv[number]>();
  for (const list of lists) for (const env of list ?? []) byName.set(env.name, env);
  return [...byName.values()];
}

/** The runtime's runner with the service's overrides on top. */
export function mergeRunner(
  base: Container | undefined,
  override: Container | undefined,
): Container {
  const merged: Container = { ...(base ?? {}), ...(override ?? {}) };
  merged.env = mergeEnv(base?.env, override?.env);
  merged.volumeMounts = [...(base?.volumeMounts ?? []), ...(override?.volumeMounts ?? [])];
  return merged;
}

export function containerPort(runner: Container): number {
  return runner.ports?.[0]?.containerPort ?? DEFAULT_PORT;
}

export function serviceUrl(isvc: InferenceService, port: number): string {
  const host = `${isvc.metadata.name}.${isvc.metadata.namespace ?? 'default'}.svc.cluster.local`;
  return port === 80 ? `http://${host}` : `http://${host}:${port}`;
}

export function buildServingObjects(
  isvc: InferenceService,
  runtime: AnyServingRuntime,
  claim: PvcStorageUri,
): ServingObjects {
  const name = isvc.metadata.name ?? '';
  const namespace = isvc.metadata.namespace;
  const engine: ComponentConfig = runtime.spec.engineConfig ?? {};
  const overrides: ComponentConfig = isvc.spec.engine ?? {};
  const runner = mergeRunner(engine.runner, overrides.runner);
  const selector = { [LABEL_INFERENCE_SERVICE]: labelValue(name), component: 'engine' };
  const labels = { ...engine.labels, ...overrides.labels, ...commonLabels('engine'), ...selector };
  const annotations = { ...engine.annotations, ...overrides.annotations };
  const hasModelPath = (runner.env ?? []).some((e) => e.name === 'MODEL_PATH');

  const modelMount: V1VolumeMount = {
    name: MODEL_VOLUME,
    mountPath: MODEL_PATH,
    subPath: claim.subPath,
    readOnly: true,
  };
  const container: V1Container = {
    ...(runner as V1Container),
    name: runner.name ?? 'engine',
    image: runner.image ?? '',
    env: [
      ...((runner.env ?? []) as V1EnvVar[]),
      ...(hasModelPath ? [] : [{ name: 'MODEL_PATH', value: MODEL_PATH }]),
    ],
    volumeMounts: [...((runner.volumeMounts ?? []) as V1VolumeMount[]), modelMount],
    securityContext: {
      ...((runner as V1Container).securityContext ?? {}),
      ...restrictedContainerSecurityContext(),
    },
  };
  const volumes: V1Volume[] = [
    ...((engine.volumes ?? []) as V1Volume[]),
    ...((overrides.volumes ?? []) as V1Volume[]),
    { name: MODEL_VOLUME, persistentVolumeClaim: { claimName: claim.claimName, readOnly: true } },
  ];
  const port = containerPort(runner);
  const meta = {
    name: engineName(name),
    ...(namespace ? { namespace } : {}),
    labels,
    ...ownerReferences(isvc),
  };

  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta,
    spec: {
      replicas: overrides.minReplicas ?? engine.minReplicas ?? 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
        spec: {
          securityContext: restrictedPodSecurityContext(),
          automountServiceAccountToken: false,
          containers: [container],
          volumes,
          ...((overrides.nodeSelector ?? engine.nodeSelector)
            ? { nodeSelector: { ...engine.nodeSelector, ...overrides.nodeSelector } }
            : {}),
          ...(engine.tolerations || overrides.tolerations
            ? { tolerations: [...(engine.tolerations ?? []), ...(overrides.tolerations ?? [])] }
            : {}),
        },
      },
    },
  };
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, ...(namespace ? { namespace } : {}), labels, ...ownerReferences(isvc) },
    spec: {
      selector,
      ports: [{ name: 'http', port, targetPort: port, protocol: 'TCP' }],
    },
  };
  return { deployment, service };
}
