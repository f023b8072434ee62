// The InferenceService controller's decisions, as pure functions: from the service, its model,
// the runtimes and the engine Deployment to the status and the objects to apply.
//
// Ordered checks, each with its reason: the model exists, is enabled, lies on a claim the
// service's pods can mount (same namespace), and is Ready -> a runtime serves it -> the engine
// Deployment has its replicas ready. Nothing is applied until the model and runtime are settled;
// objects applied before stay as they are (a model re-importing does not take serving down).
import type { V1Deployment } from '@kubernetes/client-node';
import type {
  AnyBaseModel,
  AnyServingRuntime,
  InferenceService,
  InferenceServiceStatus,
} from '../../api/ome.ts';
import type { Condition } from '../../api/common.ts';
import {
  buildServingObjects,
  containerPort,
  mergeRunner,
  serviceUrl,
  type ServingObjects,
} from '../../builders/inference-service.ts';
import { isPvcUri, type PvcStorageUri } from '../../storage/pvc-uri.ts';
import { checkClaimNamespace, resolveModelClaim } from '../../validation/models.ts';
import type { DecidedEvent } from '../common.ts';
import { findCondition, setCondition, type ConditionInput } from '../conditions.ts';
import { selectRuntime } from './runtime-selection.ts';

export const CONDITION_MODEL = 'ModelReady';
export const CONDITION_RUNTIME = 'RuntimeResolved';
export const CONDITION_ENGINE = 'EngineReady';
export const CONDITION_READY = 'Ready';

export interface ServiceObservation {
  isvc: InferenceService;
  /** The BaseModel (same namespace) or ClusterBaseModel the service names, if it exists. */
  model: AnyBaseModel | undefined;
  /** ServingRuntimes of the service's namespace and every ClusterServingRuntime. */
  runtimes: readonly AnyServingRuntime[];
  /** The engine Deployment as last seen. */
  deployment: V1Deployment | undefined;
  now: Date;
}

export interface ServiceDecision {
  status: InferenceServiceStatus;
  /** The Deployment and Service to apply; absent while the model or runtime is not settled. */
  objects?: ServingObjects;
  event?: DecidedEvent;
}

type Check<T> = ({ ok: true } & T) | { ok: false; reason: string; message: string };

/** Whether the model can be served by this service, and from which claim. */
export function checkModel(
  isvc: InferenceService,
  model: AnyBaseModel | undefined,
): Check<{ claim: PvcStorageUri; message: string }> {
  const kind = isvc.spec.model.kind ?? 'BaseModel';
  const namespace = isvc.metadata.namespace ?? 'default';
  const what =
    kind === 'ClusterBaseModel'
      ? `ClusterBaseModel ${isvc.spec.model.name}`
      : `BaseModel ${namespace}/${isvc.spec.model.name}`;
  if (!model) return { ok: false, reason: 'ModelNotFound', message: `${what} does not exist` };
  if (model.spec.disabled)
    return { ok: false, reason: 'ModelDisabled', message: `${what} is disabled` };
  const uri = model.spec.storage.storageUri;
  if (!isPvcUri(uri)) {
    return {
      ok: false,
      reason: 'ModelStorageNotSupported',
      message: `${what} is stored at ${uri}; nbv serves models on PersistentVolumeClaims (pvc://) only`,
    };
  }
  const resolved = resolveModelClaim(model.kind, uri);
  if (!resolved.ok)
    return { ok: false, reason: 'ModelStorageInvalid', message: `${what}: ${resolved.error}` };
  const elsewhere = checkClaimNamespace(namespace, resolved.claim);
  if (elsewhere)
    return { ok: false, reason: 'ModelClaimInOtherNamespace', message: `${what}: ${elsewhere}` };
  if (model.status?.state !== 'Ready') {
    const ready = findCondition(model.status?.conditions, 'Ready');
    const detail = ready && ready.status !== 'True' ? ` (${ready.reason}: ${ready.message})` : '';
    return {
      ok: false,
      reason: 'ModelNotReady',
      message: `${what} is ${model.status?.state ?? 'not reconciled yet'}${detail}`,
    };
  }
  return { ok: true, claim: resolved.claim, message: `${what} is Ready` };
}

/** The engine's readiness from its Deployment, against the replicas asked for. */
export function engineCondition(
  deployment: V1Deployment | undefined,
  desired: number | undefined,
): ConditionInput {
  const type = CONDITION_ENGINE;
  if (!deployment) {
    return { type, status: 'Unknown', reason: 'DeploymentCreating', message: 'no Deployment yet' };
  }
  const name = deployment.metadata?.name ?? '';
  const want = desired ?? deployment.spec?.replicas ?? 1;
  const ready = deployment.status?.readyReplicas ?? 0;
  const generation = deployment.metadata?.generation ?? 0;
  if ((deployment.status?.observedGeneration ?? 0) < generation) {
    return {
      type,
      status: 'Unknown',
      reason: 'DeploymentProgressing',
      message: `Deployment ${name}: the Deployment controller has not seen its latest spec yet`,
    };
  }
  const counts = `${ready}/${want} replicas ready`;
  if (ready >= want) {
    return {
      type,
      status: 'True',
      reason: 'DeploymentReady',
      message: `Deployment ${name}: ${counts}`,
    };
  }
  // The Deployment's own words on why (quota, image, scheduling), when it has any.
  const problem = deployment.status?.conditions?.find(
    (c) =>
      (c.type === 'ReplicaFailure' && c.status === 'True') ||
      (c.type === 'Progressing' && c.status === 'False'),
  );
  return {
    type,
    status: 'False',
    reason: 'DeploymentNotReady',
    message: `Deployment ${name}: ${counts}${problem?.message ? `; ${problem.message}` : ''}`,
  };
}

function withConditions(isvc: InferenceService, inputs: ConditionInput[], now: Date): Condition[] {
  const generation = isvc.metadata.generation;
  let conditions = isvc.status?.conditions;
  for (const input of inputs) conditions = setCondition(conditions, input, generation, now);
  return conditions ?? [];
}

/** The Ready condition: True when every other one is, else the first one that is not. */
function readyCondition(parts: ConditionInput[]): ConditionInput {
  const blocking = parts.find((c) => c.status !== 'True');
  if (!blocking)
    return { type: CONDITION_READY, status: 'True', reason: 'Ready', message: 'serving' };
  return {
    type: CONDITION_READY,
    status: blocking.status === 'Unknown' ? 'Unknown' : 'False',
    reason: blocking.reason,
    message: blocking.message,
  };
}

/** An Event when readiness changes (status or reason), so that repeats stay quiet. */
function transitionEvent(isvc: InferenceService, ready: ConditionInput): ServiceDecision['event'] {
  const before = findCondition(isvc.status?.conditions, CONDITION_READY);
  if (before?.status === ready.status && before.reason === ready.reason) return undefined;
  if (ready.status === 'True')
    return { type: 'Normal', reason: 'InferenceServiceReady', message: ready.message };
  if (ready.status === 'Unknown') return undefined;
  return { type: 'Warning', reason: ready.reason, message: ready.message };
}

export function decideInferenceService(observation: ServiceObservation): ServiceDecision {
  const { isvc, model, runtimes, deployment, now } = observation;
  const generation = isvc.metadata.generation;
  const finish = (
    parts: ConditionInput[],
    extra: Partial<InferenceServiceStatus>,
    objects?: ServingObjects,
  ): ServiceDecision => {
    const ready = readyCondition(parts);
    const status: InferenceServiceStatus = {
      ...(isvc.status ?? {}),
      ...extra,
      conditions: withConditions(isvc, [...parts, ready], now),
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
    const event = transitionEvent(isvc, ready);
    return { status, ...(objects ? { objects } : {}), ...(event ? { event } : {}) };
  };
  // Until the model and runtime are settled, a Deployment made before keeps being reported.
  const engineSoFar = (waiting: string, message: string): ConditionInput =>
    deployment
      ? engineCondition(deployment, undefined)
      : { type: CONDITION_ENGINE, status: 'Unknown', reason: waiting, message };

  const modelCheck = checkModel(isvc, model);
  if (!modelCheck.ok) {
    return finish(
      [
        {
          type: CONDITION_MODEL,
          status: 'False',
          reason: modelCheck.reason,
          message: modelCheck.message,
        },
        {
          type: CONDITION_RUNTIME,
          status: 'Unknown',
          reason: 'WaitingForModel',
          message: 'waiting for the model',
        },
        engineSoFar('WaitingForModel', 'waiting for the model'),
      ],
      {},
    );
  }
  const modelReady: ConditionInput = {
    type: CONDITION_MODEL,
    status: 'True',
    reason: 'ModelReady',
    message: modelCheck.message,
  };

  const requestedKind = isvc.spec.runtime?.kind;
  const candidates = requestedKind ? runtimes.filter((r) => r.kind === requestedKind) : runtimes;
  // A model that checks passed is defined.
  const choice = selectRuntime(model as AnyBaseModel, candidates, isvc.spec.runtime?.name);
  if (!choice.ok) {
    return finish(
      [
        modelReady,
        {
          type: CONDITION_RUNTIME,
          status: 'False',
          reason: choice.reason,
          message: choice.message,
        },
        engineSoFar('WaitingForRuntime', 'waiting for a runtime'),
      ],
      {},
    );
  }
  const runtimeName = choice.runtime.metadata.name ?? '';
  const runner = mergeRunner(choice.runtime.spec.engineConfig?.runner, isvc.spec.engine?.runner);
  if (!runner.image) {
    return finish(
      [
        modelReady,
        {
          type: CONDITION_RUNTIME,
          status: 'False',
          reason: 'RuntimeHasNoImage',
          message: `${choice.runtime.kind} ${runtimeName} has no engineConfig.runner.image and the service sets none`,
        },
        engineSoFar('WaitingForRuntime', 'waiting for a runtime'),
      ],
      {},
    );
  }

  const objects = buildServingObjects(isvc, choice.runtime, modelCheck.claim);
  return finish(
    [
      modelReady,
      {
        type: CONDITION_RUNTIME,
        status: 'True',
        reason: 'RuntimeSelected',
        message: choice.message,
      },
      engineCondition(deployment, objects.deployment.spec?.replicas),
    ],
    { url: serviceUrl(isvc, containerPort(runner)), runtime: runtimeName },
    objects,
  );
}
