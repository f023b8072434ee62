// The BaseModel / ClusterBaseModel controller's decisions, as pure functions: from the model,
// its claim and its metadata Job to the status, the spec fields to fill and the Job actions.
//
// Ordered checks, each returning its reason: URI -> claim exists -> claim bound -> metadata
// extracted. A fingerprint of the inspected claim and sub-path is kept in status, so a finished
// Job deleted by its TTL never triggers a second extraction or a flicker of the state.
import type { AnyBaseModel, BaseModelSpec, BaseModelStatus, ModelState } from '../../api/ome.ts';
import { metadataJobName, storageFingerprint } from '../../builders/metadata-job.ts';
import type { InspectResult } from '../../model/report.ts';
import type { PvcStorageUri } from '../../storage/pvc-uri.ts';
import { resolveModelClaim } from '../../validation/models.ts';
import type { DecidedEvent } from '../common.ts';
import { setCondition } from '../conditions.ts';

export const CONDITION_SOURCE = 'SourceReachable';
export const CONDITION_METADATA = 'MetadataExtracted';
export const CONDITION_READY = 'Ready';

export type ClaimLookup =
  | { kind: 'notFound' }
  | { kind: 'unbound'; phase: string }
  | { kind: 'bound'; accessModes: readonly string[] };

export type JobLookup =
  | { kind: 'none' }
  | { kind: 'running' }
  | { kind: 'succeeded'; result: { ok: true; value: InspectResult } | { ok: false; error: string } }
  | { kind: 'failed'; message: string };

export interface ModelObservation {
  model: AnyBaseModel;
  /** Namespace the claim lives in (the model's own, or the URI's for a ClusterBaseModel). */
  claimNamespace: string;
  claim: ClaimLookup | undefined;
  job: JobLookup;
  /** Largest replica count of the InferenceServices serving this model (access-mode advice). */
  servingReplicas: number;
  now: Date;
}

export type ModelAction =
  | { type: 'createJob'; claim: PvcStorageUri; claimNamespace: string }
  | { type: 'deleteJob'; name: string; namespace: string };

export interface ModelDecision {
  status: BaseModelStatus;
  /** Spec fields the user left empty, filled from the extracted metadata. */
  specFill: Partial<BaseModelSpec>;
  actions: ModelAction[];
  event?: DecidedEvent;
}

interface Verdict {
  state: ModelState;
  source: { ok: boolean; reason: string; message: string };
  metadata: { status: 'True' | 'False' | 'Unknown'; reason: string; message: string };
}

const FILLABLE = [
  'modelType',
  'modelArchitecture',
  'modelFormat',
  'modelFramework',
  'modelCapabilities',
  'maxTokens',
  'modelParameterSize',
  'quantization',
  'diffusionPipeline',
] as const;

/** The metadata fields the user left empty, never overwriting what they wrote. */
export function fillEmptySpecFields(
  spec: BaseModelSpec,
  result: InspectResult,
): Partial<BaseModelSpec> {
  if (!result.ok) return {};
  const found = result.metadata as Record<string, unknown>;
  const fill: Record<string, unknown> = {};
  for (const key of FILLABLE) {
    const current = spec[key];
    const empty = current === undefined || (Array.isArray(current) && current.length === 0);
    if (empty && found[key] !== undefined) fill[key] = found[key];
  }
  return fill as Partial<BaseModelSpec>;
}

/** Advice when serving replicas on several nodes cannot all mount the claim. */
export function accessModeAdvice(
  accessModes: readonly string[],
  replicas: number,
): string | undefined {
  const shared = accessModes.some((m) => m === 'ReadOnlyMany' || m === 'ReadWriteMany');
  if (replicas > 1 && !shared && accessModes.includes('ReadWriteOncePod')) {
    return `the claim is ReadWriteOncePod: only one of the ${replicas} serving replicas can mount it; use ReadOnlyMany or ReadWriteMany`;
  }
  if (replicas > 1 && !shared && accessModes.includes('ReadWriteOnce')) {
    return `the claim is ReadWriteOnce: the ${replicas} serving replicas must all run on one node; use ReadOnlyMany or ReadWriteMany to spread them`;
  }
  return undefined;
}

function statusWith(
  model: AnyBaseModel,
  verdict: Verdict,
  now: Date,
  extra: Partial<BaseModelStatus>,
): BaseModelStatus {
  const generation = model.metadata.generation;
  const previous = model.status;
  let conditions = setCondition(
    previous?.conditions,
    {
      type: CONDITION_SOURCE,
      status: verdict.source.ok ? 'True' : 'False',
      reason: verdict.source.reason,
      message: verdict.source.message,
    },
    generation,
    now,
  );
  conditions = setCondition(
    conditions,
    { type: CONDITION_METADATA, ...verdict.metadata },
    generation,
    now,
  );
  const ready = verdict.state === 'Ready';
  conditions = setCondition(
    conditions,
    {
      type: CONDITION_READY,
      status: ready ? 'True' : 'False',
      reason: ready
        ? 'PVCMetadataReady'
        : verdict.source.ok
          ? verdict.metadata.reason
          : verdict.source.reason,
      message: ready
        ? verdict.metadata.message
        : verdict.source.ok
          ? verdict.metadata.message
          : verdict.source.message,
    },
    generation,
    now,
  );
  const { metadataFingerprint, metadataJobName: jobName } = { ...previous, ...extra };
  return {
    ...(previous ?? {}),
    state: verdict.state,
    conditions,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    ...(metadataFingerprint ? { metadataFingerprint } : {}),
    ...(jobName ? { metadataJobName: jobName } : {}),
  };
}

export function decideModel(observation: ModelObservation): ModelDecision {
  const { model, claim, job, now, claimNamespace } = observation;
  const resolved = resolveModelClaim(model.kind, model.spec.storage.storageUri);
  const decision = (
    verdict: Verdict,
    extra: Partial<BaseModelStatus> = {},
    rest: Partial<Omit<ModelDecision, 'status'>> = {},
  ): ModelDecision => ({
    status: statusWith(model, verdict, now, extra),
    specFill: {},
    actions: [],
    ...rest,
  });
  const unknownMetadata = (reason: string, message: string) => ({
    status: 'Unknown' as const,
    reason,
    message,
  });

  if (!resolved.ok) {
    return decision(
      {
        state: 'Failed',
        source: { ok: false, reason: 'PVCInvalid', message: resolved.error },
        metadata: unknownMetadata('PVCInvalid', 'no claim to inspect'),
      },
      {},
      { event: { type: 'Warning', reason: 'PVCInvalid', message: resolved.error } },
    );
  }
  const where = `${claimNamespace}/${resolved.claim.claimName}`;
  if (!claim || claim.kind === 'notFound') {
    const message = `PersistentVolumeClaim ${where} does not exist; the model becomes Ready by itself once it is created and bound`;
    return decision(
      {
        state: 'Failed',
        source: { ok: false, reason: 'PVCNotFound', message },
        metadata: unknownMetadata('PVCNotFound', 'waiting for the claim'),
      },
      {},
      { event: { type: 'Warning', reason: 'PVCNotFound', message } },
    );
  }
  if (claim.kind === 'unbound') {
    const message = `PersistentVolumeClaim ${where} is ${claim.phase}, not Bound`;
    return decision({
      state: 'In_Transit',
      source: { ok: false, reason: 'PVCNotBound', message },
      metadata: unknownMetadata('PVCNotBound', 'waiting for the claim to bind'),
    });
  }

  const advice = accessModeAdvice(claim.accessModes, observation.servingReplicas);
  const source = {
    ok: true,
    reason: 'PVCBound',
    message: `PersistentVolumeClaim ${where} is Bound (${claim.accessModes.join(', ')})${advice ? `; ${advice}` : ''}`,
  };
  const fingerprint = storageFingerprint(resolved.claim, claimNamespace);
  const jobName = metadataJobName(model.metadata.name ?? '', fingerprint);
  const previous = model.status;
  const staleJob: ModelAction[] =
    previous?.metadataJobName && previous.metadataJobName !== jobName
      ? [{ type: 'deleteJob', name: previous.metadataJobName, namespace: claimNamespace }]
      : [];

  // Already extracted for this claim and sub-path: nothing to run, whatever happened to the Job.
  if (
    previous?.metadataFingerprint === fingerprint &&
    (previous.state === 'Ready' || previous.state === 'Failed')
  ) {
    const metadata = previous.conditions?.find((c) => c.type === CONDITION_METADATA);
    return decision(
      {
        state: previous.state,
        source,
        metadata: {
          status: metadata?.status ?? (previous.state === 'Ready' ? 'True' : 'False'),
          reason: metadata?.reason ?? 'PVCMetadataReady',
          message: metadata?.message ?? '',
        },
      },
      {},
      { actions: staleJob },
    );
  }

  const extracting = (message: string, actions: ModelAction[]) =>
    decision(
      {
        state: 'Importing',
        source,
        metadata: { status: 'False', reason: 'PVCMetadataExtracting', message },
      },
      { metadataJobName: jobName },
      { actions },
    );

  // Failures are fingerprinted too: the same claim and sub-path are not inspected again.
  const extractionFailed = (message: string) =>
    decision(
      {
        state: 'Failed',
        source,
        metadata: { status: 'False', reason: 'PVCMetadataExtractionFailed', message },
      },
      { metadataFingerprint: fingerprint, metadataJobName: jobName },
      {
        actions: staleJob,
        event: { type: 'Warning', reason: 'PVCMetadataExtractionFailed', message },
      },
    );

  switch (job.kind) {
    case 'none':
      return extracting(`metadata Job ${jobName} created`, [
        ...staleJob,
        { type: 'createJob', claim: resolved.claim, claimNamespace },
      ]);
    case 'running':
      return extracting(`metadata Job ${jobName} is running`, staleJob);
    case 'failed':
      return extractionFailed(`metadata Job ${jobName} failed: ${job.message}`);
    case 'succeeded': {
      const result = job.result.ok ? job.result.value : undefined;
      if (!result || !result.ok) {
        const why = job.result.ok
          ? result && !result.ok
            ? `${result.reason}: ${result.error}`
            : 'no result'
          : job.result.error;
        return extractionFailed(`metadata extraction failed: ${why}`);
      }
      const specFill = fillEmptySpecFields(model.spec, result);
      const errors = result.findings.filter((f) => f.severity === 'error');
      const summary = [
        result.metadata.modelArchitecture,
        result.metadata.modelParameterSize && `${result.metadata.modelParameterSize} parameters`,
        errors.length > 0 &&
          `${errors.length} preflight error(s): ${errors.map((f) => f.message).join('; ')}`,
      ]
        .filter(Boolean)
        .join(', ');
      const message = `metadata extracted from ${result.configFile}${summary ? ` (${summary})` : ''}`;
      return decision(
        {
          state: 'Ready',
          source,
          metadata: { status: 'True', reason: 'PVCMetadataReady', message },
        },
        { metadataFingerprint: fingerprint, metadataJobName: jobName },
        {
          specFill,
          actions: staleJob,
          event: { type: 'Normal', reason: 'PVCMetadataReady', message },
        },
      );
    }
  }
}
