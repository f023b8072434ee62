// What the BaseModel controller sees, turned into decideModel()'s inputs: the claim, the metadata
// Job with the result its pod left, the replicas of the services that serve the model, and the
// keys that tie claims, Jobs and InferenceServices to models. Pure functions of cached objects.
import type {
  V1Job,
  V1PersistentVolumeClaim,
  V1Pod,
  V1ContainerStateTerminated,
} from '@kubernetes/client-node';
import type { AnyBaseModel, InferenceService } from '../../api/ome.ts';
import {
  METADATA_CONTAINER,
  metadataJobName,
  storageFingerprint,
} from '../../builders/metadata-job.ts';
import { parseInspectResult } from '../../model/report.ts';
import { isPvcUri } from '../../storage/pvc-uri.ts';
import { resolveModelClaim } from '../../validation/models.ts';
import type { ClaimLookup, JobLookup } from './decide.ts';

type ModelKind = AnyBaseModel['kind'];

/** "BaseModel:ns/name" or "ClusterBaseModel:name": a model as InferenceServices name it. */
export function modelRefKey(kind: ModelKind, name: string, namespace?: string): string {
  return kind === 'ClusterBaseModel' ? `${kind}:${name}` : `${kind}:${namespace ?? ''}/${name}`;
}

export function modelKeyOf(model: AnyBaseModel): string {
  return modelRefKey(model.kind, model.metadata.name ?? '', model.metadata.namespace);
}

/** The model an InferenceService serves (a BaseModel in its namespace unless it says otherwise). */
export function servedModelKey(isvc: InferenceService): string {
  const kind = isvc.spec.model.kind ?? 'BaseModel';
  return modelRefKey(kind, isvc.spec.model.name, isvc.metadata.namespace);
}

/** Where a model's claim and metadata Job live: the model's namespace, or the URI's. */
export function claimNamespaceOf(model: AnyBaseModel): string | undefined {
  const resolved = resolveModelClaim(model.kind, model.spec.storage.storageUri);
  if (!resolved.ok) return undefined;
  return resolved.claim.namespace ?? model.metadata.namespace;
}

/**
 * The keys a model is indexed under: "claim:ns/name" for its claim and "job:ns/name" for the
 * metadata Job of its current URI, so that either one's events find the model.
 */
export function modelIndexKeys(model: AnyBaseModel): string[] {
  const resolved = resolveModelClaim(model.kind, model.spec.storage.storageUri);
  const namespace = claimNamespaceOf(model);
  if (!resolved.ok || namespace === undefined) return [];
  const job = metadataJobName(
    model.metadata.name ?? '',
    storageFingerprint(resolved.claim, namespace),
  );
  return [`claim:${namespace}/${resolved.claim.claimName}`, `job:${namespace}/${job}`];
}

/** nbv reconciles only pvc:// models; admission warned about the others and keeps them as written. */
export function isReconciled(model: AnyBaseModel): boolean {
  return isPvcUri(model.spec.storage.storageUri);
}

export function claimLookup(pvc: V1PersistentVolumeClaim | undefined): ClaimLookup {
  if (!pvc) return { kind: 'notFound' };
  // A claim on its way out is as good as gone for a new mount; say so rather than "Bound".
  if (pvc.metadata?.deletionTimestamp) return { kind: 'unbound', phase: 'Terminating' };
  const phase = pvc.status?.phase ?? 'Pending';
  if (phase !== 'Bound') return { kind: 'unbound', phase };
  return { kind: 'bound', accessModes: pvc.status?.accessModes ?? pvc.spec?.accessModes ?? [] };
}

function inspectTermination(pod: V1Pod): V1ContainerStateTerminated | undefined {
  const status = pod.status?.containerStatuses?.find((s) => s.name === METADATA_CONTAINER);
  return status?.state?.terminated ?? status?.lastState?.terminated;
}

function finishedAt(t: V1ContainerStateTerminated): number {
  return new Date(t.finishedAt ?? 0).getTime() || 0;
}

/** The latest terminations of the inspect container among `pods`, newest first. */
function terminations(
  pods: readonly V1Pod[],
  exit: 'zero' | 'nonzero',
): V1ContainerStateTerminated[] {
  return pods
    .flatMap((p) => {
      const t = inspectTermination(p);
      return t && (exit === 'zero') === (t.exitCode === 0) ? [t] : [];
    })
    .sort((a, b) => finishedAt(b) - finishedAt(a));
}

/** True when one of `pods` holds the inspect container's successful result. */
export function hasSucceededPod(pods: readonly V1Pod[]): boolean {
  return terminations(pods, 'zero').length > 0;
}

type ReadResult = Extract<JobLookup, { kind: 'succeeded' }>['result'];

/** Parses a termination message; anything unreadable becomes an error, never a throw. */
export function readInspectResult(message: string | undefined): ReadResult {
  if (!message?.trim()) return { ok: false, error: 'the metadata Job left no termination message' };
  try {
    return { ok: true, value: parseInspectResult(message) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

function condition(job: V1Job, type: string) {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

/** What a failed pod's termination message says, briefly, if anything. */
function failureDetail(pods: readonly V1Pod[]): string | undefined {
  const last = terminations(pods, 'nonzero')[0];
  if (!last) return undefined;
  const read = readInspectResult(last.message);
  if (read.ok && !read.value.ok) return `${read.value.reason}: ${read.value.error}`;
  const text = last.message?.trim();
  return text ? text.slice(0, 300) : `exit code ${last.exitCode}`;
}

/** The metadata Job's state, with the result read from its pods (those the Job owns). */
export function jobLookup(job: V1Job | undefined, pods: readonly V1Pod[]): JobLookup {
  if (!job) return { kind: 'none' };
  if (condition(job, 'Complete')) {
    const [done] = terminations(pods, 'zero');
    if (!done) {
      return {
        kind: 'succeeded',
        result: {
          ok: false,
          error: 'the pod of the finished metadata Job is gone with its result',
        },
      };
    }
    return { kind: 'succeeded', result: readInspectResult(done.message) };
  }
  const failed = condition(job, 'Failed');
  if (failed) {
    const why = [failed.reason, failed.message].filter(Boolean).join(': ') || 'the Job failed';
    const detail = failureDetail(pods);
    return { kind: 'failed', message: detail ? `${why}; nbv model inspect: ${detail}` : why };
  }
  return { kind: 'running' };
}

/** The most replicas any of `services` may run: several replicas need a shareable claim. */
export function servingReplicas(services: readonly InferenceService[]): number {
  return Math.max(
    0,
    ...services
      .filter((s) => !s.metadata.deletionTimestamp)
      .map((s) => Math.max(s.spec.engine?.minReplicas ?? 1, s.spec.engine?.maxReplicas ?? 0)),
  );
}

export const MODEL_FINALIZER = 'ome.io/metadata-cleanup';

export function hasFinalizer(model: AnyBaseModel): boolean {
  return (model.metadata.finalizers ?? []).includes(MODEL_FINALIZER);
}

/**
 * A merge patch that sets the finalizer list; the resourceVersion makes it fail (409) rather
 * than drop a finalizer someone else added since the cache saw the object.
 */
export function finalizersPatch(model: AnyBaseModel, add: boolean): object {
  const others = (model.metadata.finalizers ?? []).filter((f) => f !== MODEL_FINALIZER);
  return {
    metadata: {
      finalizers: add ? [...others, MODEL_FINALIZER] : others,
      resourceVersion: model.metadata.resourceVersion,
    },
  };
}
