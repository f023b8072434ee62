// The InferenceService controller: read the service, its model and the runtimes from the caches,
// decide (decide.ts, pure), apply the engine Deployment and Service (server-side apply, owned by
// the service), then write status once if it changed and record the Event of a transition.
// Models and runtimes are watched, so a model that becomes Ready or a runtime that appears is
// picked up without polling; the Deployment is owned, so its readiness comes back here too.
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import type { AnyBaseModel, AnyServingRuntime, InferenceService } from '../../api/ome.ts';
import { engineName } from '../../builders/inference-service.ts';
import { LABEL_COMPONENT, LABEL_MANAGED_BY, MANAGED_BY } from '../../builders/labels.ts';
import type { OperatorSettings } from '../../operator/settings.ts';
import {
  resources,
  type KubeClient,
  type KubeObject,
  type Manager,
  type ObjectRef,
  type ReconcileContext,
  type ReconcileOutcome,
  type Request,
  type Store,
} from '../../runtime/index.ts';
import { modelKeyOf, servedModelKey } from '../basemodel/observe.ts';
import { OwnWrites, recordEvent, resourceTypeOf } from '../common.ts';
import { RefIndex } from '../ref-index.ts';
import { decideInferenceService } from './decide.ts';

export const CONTROLLER_NAME = 'inferenceservice';
/** Engine Deployments and Services nbv made: the only ones this controller caches. */
export const ENGINE_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_COMPONENT}=engine`;

const types = {
  services: resourceTypeOf('InferenceService'),
  baseModels: resourceTypeOf('BaseModel'),
  clusterBaseModels: resourceTypeOf('ClusterBaseModel'),
  runtimes: resourceTypeOf('ServingRuntime'),
  clusterRuntimes: resourceTypeOf('ClusterServingRuntime'),
};

function refOf(obj: KubeObject): ObjectRef {
  const { name = '', namespace } = obj.metadata ?? {};
  return namespace ? { name, namespace } : { name };
}

export interface ServiceReconcilerDeps {
  client: KubeClient;
  services: Store<InferenceService>;
  baseModels: Store<AnyBaseModel>;
  clusterBaseModels: Store<AnyBaseModel>;
  runtimes: Store<AnyServingRuntime>;
  clusterRuntimes: Store<AnyServingRuntime>;
  deployments: Store<V1Deployment>;
}

export class InferenceServiceReconciler {
  readonly #deps: ServiceReconcilerDeps;
  readonly #writes: OwnWrites;

  constructor(deps: ServiceReconcilerDeps) {
    this.#deps = deps;
    this.#writes = new OwnWrites(deps.client);
  }

  async reconcile(request: Request, ctx: ReconcileContext): Promise<ReconcileOutcome> {
    const d = this.#deps;
    const isvc = d.services.get(request.key);
    if (!isvc) {
      this.#writes.forget(request.key);
      return;
    }
    // Being deleted: the Deployment and Service go with it (owner references).
    if (isvc.metadata.deletionTimestamp) return;
    if (this.#writes.behind(request.key, isvc)) return;

    const namespace = isvc.metadata.namespace ?? '';
    const model =
      isvc.spec.model.kind === 'ClusterBaseModel'
        ? d.clusterBaseModels.getByName(isvc.spec.model.name)
        : d.baseModels.getByName(isvc.spec.model.name, namespace);
    const runtimes = [
      ...d.runtimes.list().filter((r) => r.metadata.namespace === namespace),
      ...d.clusterRuntimes.list(),
    ];
    const deployment = d.deployments.getByName(engineName(isvc.metadata.name ?? ''), namespace);
    const decision = decideInferenceService({ isvc, model, runtimes, deployment, now: new Date() });

    if (decision.objects) {
      const { deployment: desired, service } = decision.objects;
      await d.client.apply<V1Deployment>(desired);
      await d.client.apply<V1Service>(service);
    }
    if (!(await this.#writes.writeStatus(request.key, isvc, decision.status))) return;
    if (decision.event) await recordEvent(d.client, isvc, decision.event, ctx.log);
  }
}

export function registerInferenceServiceController(
  manager: Manager,
  settings: OperatorSettings,
): void {
  const services = manager.informer<InferenceService>(types.services);
  const baseModels = manager.informer<AnyBaseModel>(types.baseModels);
  const clusterBaseModels = manager.informer<AnyBaseModel>(types.clusterBaseModels);
  const runtimes = manager.informer<AnyServingRuntime>(types.runtimes);
  const clusterRuntimes = manager.informer<AnyServingRuntime>(types.clusterRuntimes);
  const deploymentSource = { resource: resources.deployments, labelSelector: ENGINE_SELECTOR };
  const deployments = manager.informer<V1Deployment>(deploymentSource);
  const byModel = new RefIndex<InferenceService>((s) => [servedModelKey(s)]);
  services.addHandlers(byModel.handlers());

  const reconciler = new InferenceServiceReconciler({
    client: manager.client,
    services: services.store,
    baseModels: baseModels.store,
    clusterBaseModels: clusterBaseModels.store,
    runtimes: runtimes.store,
    clusterRuntimes: clusterRuntimes.store,
    deployments: deployments.store,
  });
  const servingModel = (obj: KubeObject): ObjectRef[] =>
    byModel.lookup(modelKeyOf(obj as AnyBaseModel)).map(refOf);
  // Runtimes change rarely: every service that could select one is looked at again.
  const inNamespace = (obj: KubeObject): ObjectRef[] =>
    services.store
      .list()
      .filter((s) => s.metadata.namespace === obj.metadata?.namespace)
      .map(refOf);
  manager.addController({
    name: CONTROLLER_NAME,
    primary: types.services,
    owns: [deploymentSource, { resource: resources.services, labelSelector: ENGINE_SELECTOR }],
    watches: [
      { resource: types.baseModels, map: servingModel },
      { resource: types.clusterBaseModels, map: servingModel },
      { resource: types.runtimes, map: inNamespace },
      { resource: types.clusterRuntimes, map: () => services.store.list().map(refOf) },
    ],
    reconcile: (request, ctx) => reconciler.reconcile(request, ctx),
    workers: settings.workers,
  });
}
