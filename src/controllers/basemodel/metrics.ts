// Models by state, computed from the caches at scrape time: `nbv_models{kind,namespace,state}`
// answers "how many models are stuck Importing or Failed" without a query per model.
import { Gauge, type Registry } from 'prom-client';
import type { AnyBaseModel } from '../../api/ome.ts';

export class ModelMetrics {
  constructor(registry: Registry, models: () => Iterable<AnyBaseModel>) {
    new Gauge({
      name: 'nbv_models',
      help: 'BaseModels and ClusterBaseModels nbv reconciles, by kind, namespace and state',
      labelNames: ['kind', 'namespace', 'state'],
      registers: [registry],
      collect() {
        this.reset();
        for (const model of models()) {
          this.inc({
            kind: model.kind,
            namespace: model.metadata.namespace ?? '',
            state: model.status?.state ?? 'Unknown',
          });
        }
      },
    });
  }
}
