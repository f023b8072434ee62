// The BaseModel and ClusterBaseModel controllers (one reconciler, one instance per kind). Each
// pass runs these phases in order, so that a crash at any point is repaired by the next pass:
//   1. a model being deleted: delete its metadata Jobs, then release the finalizer;
//   2. make sure the finalizer is there before anything is created for the model;
//   3. observe the claim (PVC cache) and the metadata Job of the current URI with its pod's result;
//   4. decide (decide.ts, pure), delete a stale Job and create the current one;
//   5. fill the spec fields the user left empty (merge patch of only those fields);
//   6. write status once if it changed (server-side apply), then record the Event.
// Claims, Jobs and InferenceServices are watched, so a claim that appears or binds, a Job that
// finishes and a change of replicas all come back here without polling.
import type { V1Job, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import type { AnyBaseModel, InferenceService } from '../../api/ome.ts';
import {
  LABEL_COMPONENT,
  LABEL_MANAGED_BY,
  LABEL_MODEL,
  LABEL_MODEL_KIND,
  MANAGED_BY,
  labelValue,
} from '../../builders/labels.ts';
import { buildMetadataJob } from '../../builders/metadata-job.ts';
import type { OperatorSettings } from '../../operator/settings.ts';
import {
  OWNER_INDEX,
  isConflict,
  isNotFound,
  parseKey,
  resources,
  type KubeClient,
  type Manager,
  type ObjectRef,
  type ReconcileContext,
  type ReconcileOutcome,
  type Request,
  type ResourceType,
  type Store,
} from '../../runtime/index.ts';
import { resolveModelClaim } from '../../validation/models.ts';
import { OwnWrites, recordEvent, resourceTypeOf } from '../common.ts';
import { RefIndex } from '../ref-index.ts';
import { decideModel, type ModelAction, type ModelDecision } from './decide.ts';
import { ModelMetrics } from './metrics.ts';
import {
  MODEL_FINALIZER,
  claimLookup,
  claimNamespaceOf,
  finalizersPatch,
  hasFinalizer,
  hasSucceededPod,
  isReconciled,
  jobLookup,
  modelIndexKeys,
  modelKeyOf,
  servedModelKey,
  servingReplicas,
} from './observe.ts';

export { MODEL_FINALIZER };

/** Metadata Jobs and their pods: the only Jobs and pods these controllers cache. */
export const METADATA_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_COMPONENT}=model-metadata`;

export const baseModels = resourceTypeOf('BaseModel');
export const clusterBaseModels = resourceTypeOf('ClusterBaseModel');
export const inferenceServices = resourceTypeOf('InferenceService');

export interface ModelReconcilerDeps {
  client: KubeClient;
  type: ResourceType;
  models: Store<AnyBaseModel>;
  claims: Store<V1PersistentVolumeClaim>;
  jobs: Store<V1Job>;
  pods: Store<V1Pod>;
  /** InferenceServices by the model they serve. */
  services: RefIndex<InferenceService>;
  settings: OperatorSettings;
}

export class ModelReconciler {
  readonly #deps: ModelReconcilerDeps;
  /** Spec, finalizer and status writes alike: a cache older than the last is not acted on. */
  readonly #writes: OwnWrites;

  constructor(deps: ModelReconcilerDeps) {
    this.#deps = deps;
    this.#writes = new OwnWrites(deps.client);
  }

  async reconcile(request: Request, ctx: ReconcileContext): Promise<ReconcileOutcome> {
    const cached = this.#deps.models.get(request.key);
    if (!cached) {
      this.#writes.forget(request.key);
      return;
    }
    // Our own write has not reached the cache yet; its watch event brings us back.
    if (this.#writes.behind(request.key, cached)) return;
    try {
      return await this.#reconcile(request, cached, ctx);
    } catch (err) {
      // Someone changed the model since the cache saw it: look again, quietly.
      if (isConflict(err)) return { requeue: true };
      throw err;
    }
  }

  async #reconcile(
    request: Request,
    cached: AnyBaseModel,
    ctx: ReconcileContext,
  ): Promise<ReconcileOutcome> {
    // An operator that watches one namespace leaves ClusterBaseModels of other claims alone:
    // it cannot see those claims, and the operator that can must not be contradicted.
    const watched = this.#deps.settings.namespace;
    if (cached.kind === 'ClusterBaseModel' && watched !== undefined) {
      if (claimNamespaceOf(cached) !== watched) return;
    }
    if (cached.metadata.deletionTimestamp) return this.#finalize(request, cached, ctx);
    if (!isReconciled(cached)) return;

    let model = cached;
    if (!hasFinalizer(model))
      model = await this.#patch(request, model, finalizersPatch(model, true));

    const observation = this.#observe(model);
    const job =
      observation.claim?.kind === 'bound'
        ? await this.#observeJob(model)
        : jobLookup(undefined, []);
    let decision = decideModel({ ...observation, job });
    await this.#act(model, decision.actions, ctx);

    if (Object.keys(decision.specFill).length > 0) {
      model = await this.#patch(request, model, {
        metadata: { resourceVersion: model.metadata.resourceVersion },
        spec: decision.specFill,
      });
      ctx.log.info({ fields: Object.keys(decision.specFill) }, 'filled empty spec fields');
      // The spec changed its generation: decide again so that status observes the new one.
      decision = decideModel({ ...observation, model, job });
    }

    await this.#writeStatus(request, model, decision, ctx);
  }

  #observe(model: AnyBaseModel) {
    const { claims, services } = this.#deps;
    const resolved = resolveModelClaim(model.kind, model.spec.storage.storageUri);
    const claimNamespace = claimNamespaceOf(model) ?? model.metadata.namespace ?? '';
    const claim = resolved.ok
      ? claimLookup(claims.getByName(resolved.claim.claimName, claimNamespace))
      : undefined;
    return {
      model,
      claimNamespace,
      claim,
      servingReplicas: servingReplicas(services.lookup(modelKeyOf(model))),
      now: new Date(),
    };
  }

  /** The current URI's Job and the result its pod left (from the cache, else from the API). */
  async #observeJob(model: AnyBaseModel) {
    const { jobs, pods, client } = this.#deps;
    const key = modelIndexKeys(model).find((k) => k.startsWith('job:'));
    if (!key) return jobLookup(undefined, []);
    // Whoever made a Job of this name inspected this very claim and sub-path (the name hashes
    // them), so its result is this model's too.
    const job = jobs.get(key.slice('job:'.length));
    const uid = job?.metadata?.uid;
    let owned = uid ? pods.byIndex(OWNER_INDEX, uid) : [];
    const complete = job?.status?.conditions?.some(
      (c) => c.type === 'Complete' && c.status === 'True',
    );
    if (job && complete && !hasSucceededPod(owned)) {
      // The pod cache can trail the Job's: ask the apiserver before calling the result lost.
      const { namespace, name } = parseKey(key.slice('job:'.length));
      const listed = await client.list<V1Pod>(resources.pods, {
        namespace,
        labelSelector: `batch.kubernetes.io/job-name=${name}`,
      });
      owned = listed.items.filter((p) =>
        (p.metadata?.ownerReferences ?? []).some((o) => o.uid === uid),
      );
    }
    return jobLookup(job, owned);
  }

  async #act(model: AnyBaseModel, actions: ModelAction[], ctx: ReconcileContext): Promise<void> {
    const { client, jobs, settings } = this.#deps;
    for (const action of actions) {
      if (action.type === 'deleteJob') {
        // The stale Job may be in another namespace (a ClusterBaseModel's URI moved): find the
        // model's own Jobs of that name wherever they are.
        const owned = jobs
          .byIndex(OWNER_INDEX, model.metadata.uid ?? '')
          .filter((j) => j.metadata?.name === action.name);
        const targets: ObjectRef[] =
          owned.length > 0
            ? owned.map((j) => ({ name: action.name, namespace: j.metadata?.namespace ?? '' }))
            : [{ name: action.name, namespace: action.namespace }];
        for (const target of targets) {
          if (await client.delete(resources.jobs, target, { propagationPolicy: 'Background' }))
            ctx.log.info({ job: target.name, namespace: target.namespace }, 'deleted stale Job');
        }
      } else {
        const job = buildMetadataJob(
          model,
          action.claim,
          action.claimNamespace,
          settings.metadataJob,
        );
        await client.create(job, { tolerateExisting: true });
        ctx.log.info(
          { job: job.metadata?.name, namespace: action.claimNamespace },
          'created metadata Job',
        );
      }
    }
  }

  async #writeStatus(
    request: Request,
    model: AnyBaseModel,
    decision: ModelDecision,
    ctx: ReconcileContext,
  ): Promise<void> {
    if (!(await this.#writes.writeStatus(request.key, model, decision.status))) return;
    // Events mark transitions: only a pass that changed the status records one.
    if (decision.event) await recordEvent(this.#deps.client, model, decision.event, ctx.log);
  }

  /** Deletes the model's metadata Jobs (their pods hold the claim), then lets the model go. */
  async #finalize(
    request: Request,
    model: AnyBaseModel,
    ctx: ReconcileContext,
  ): Promise<ReconcileOutcome> {
    if (!hasFinalizer(model)) return;
    const { client, settings } = this.#deps;
    // Listed, not cached: a Job created moments ago may not be in the cache yet.
    const listed = await client.listAll<V1Job>(resources.jobs, {
      namespace: model.metadata.namespace ?? settings.namespace,
      labelSelector: `${LABEL_MODEL}=${labelValue(model.metadata.name ?? '')},${LABEL_MODEL_KIND}=${model.kind}`,
    });
    const owned = listed.items.filter((j) =>
      (j.metadata?.ownerReferences ?? []).some((o) => o.uid === model.metadata.uid),
    );
    for (const job of owned) {
      const ref = { name: job.metadata?.name ?? '', namespace: job.metadata?.namespace ?? '' };
      try {
        await client.delete(resources.jobs, ref, {
          propagationPolicy: 'Background',
          uid: job.metadata?.uid,
        });
      } catch (err) {
        if (!isConflict(err)) throw err; // a namesake replaced it: not ours to delete
      }
      ctx.log.info(
        { job: ref.name, namespace: ref.namespace },
        'deleted metadata Job of a deleted model',
      );
    }
    try {
      await this.#patch(request, model, finalizersPatch(model, false));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async #patch(request: Request, model: AnyBaseModel, patch: object): Promise<AnyBaseModel> {
    const { name, namespace } = model.metadata;
    const updated = await this.#deps.client.mergePatch<AnyBaseModel>(
      this.#deps.type,
      { name: name ?? '', ...(namespace ? { namespace } : {}) },
      patch,
    );
    this.#writes.remember(request.key, updated);
    return updated;
  }
}

/** The models a claim or Job event concerns, from the index of models by claim and Job. */
function refsOf(index: RefIndex<AnyBaseModel>, prefix: string) {
  return (obj: { metadata?: { name?: string; namespace?: string } }): ObjectRef[] =>
    index
      .lookup(`${prefix}:${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`)
      .map((m) => ({
        name: m.metadata.name ?? '',
        ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}),
      }));
}

/** Registers the BaseModel and the ClusterBaseModel controllers. */
export function registerModelControllers(manager: Manager, settings: OperatorSettings): void {
  const claims = manager.informer<V1PersistentVolumeClaim>(resources.persistentVolumeClaims);
  const jobSource = { resource: resources.jobs, labelSelector: METADATA_SELECTOR };
  const jobs = manager.informer<V1Job>(jobSource);
  const pods = manager.informer<V1Pod>({
    resource: resources.pods,
    labelSelector: METADATA_SELECTOR,
  });
  const isvcs = manager.informer<InferenceService>(inferenceServices);
  const services = new RefIndex<InferenceService>((s) => [servedModelKey(s)]);
  isvcs.addHandlers(services.handlers());

  const stores: Store<AnyBaseModel>[] = [];
  for (const type of [baseModels, clusterBaseModels]) {
    const models = manager.informer<AnyBaseModel>(type);
    stores.push(models.store);
    const index = new RefIndex<AnyBaseModel>(modelIndexKeys);
    models.addHandlers(index.handlers());
    const reconciler = new ModelReconciler({
      client: manager.client,
      type,
      models: models.store,
      claims: claims.store,
      jobs: jobs.store,
      pods: pods.store,
      services,
      settings,
    });
    manager.addController({
      name: type.kind.toLowerCase(),
      primary: type,
      watches: [
        { resource: resources.persistentVolumeClaims, map: refsOf(index, 'claim') },
        { ...jobSource, map: refsOf(index, 'job') },
        {
          resource: inferenceServices,
          map: (obj) => {
            const isvc = obj as InferenceService;
            const kind = isvc.spec.model.kind ?? 'BaseModel';
            if (kind !== type.kind) return [];
            return [
              {
                name: isvc.spec.model.name,
                ...(type.namespaced && isvc.metadata.namespace
                  ? { namespace: isvc.metadata.namespace }
                  : {}),
              },
            ];
          },
        },
      ],
      reconcile: (request, ctx) => reconciler.reconcile(request, ctx),
      workers: settings.workers,
    });
  }
  new ModelMetrics(manager.registry, () => stores.flatMap((s) => s.list()));
}
