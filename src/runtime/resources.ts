// Resource types (group, version, kind, plural, scope) and their REST paths, plus discovery for
// turning an object's apiVersion/kind into the resource to send it to.
import type { KubeTransport } from './transport.ts';

export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

/** Names what an object is and where it lives; all that a REST path needs. */
export interface ObjectRef {
  name: string;
  namespace?: string;
}

export const resources = {
  pods: { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  configMaps: {
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    plural: 'configmaps',
    namespaced: true,
  },
  secrets: { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  services: { group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true },
  namespaces: {
    group: '',
    version: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    namespaced: false,
  },
  persistentVolumeClaims: {
    group: '',
    version: 'v1',
    kind: 'PersistentVolumeClaim',
    plural: 'persistentvolumeclaims',
    namespaced: true,
  },
  jobs: { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true },
  deployments: {
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    plural: 'deployments',
    namespaced: true,
  },
  leases: {
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    plural: 'leases',
    namespaced: true,
  },
  events: {
    group: 'events.k8s.io',
    version: 'v1',
    kind: 'Event',
    plural: 'events',
    namespaced: true,
  },
  customResourceDefinitions: {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    namespaced: false,
  },
  validatingWebhookConfigurations: {
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    kind: 'ValidatingWebhookConfiguration',
    plural: 'validatingwebhookconfigurations',
    namespaced: false,
  },
  mutatingWebhookConfigurations: {
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    kind: 'MutatingWebhookConfiguration',
    plural: 'mutatingwebhookconfigurations',
    namespaced: false,
  },
} as const satisfies Record<string, ResourceType>;

/** A ResourceType from the shape src/api/resources.ts describes kinds with. */
export function resourceType(def: {
  group: string;
  version: string;
  kind: string;
  plural: string;
  scope: 'Namespaced' | 'Cluster';
}): ResourceType {
  const { group, version, kind, plural, scope } = def;
  return { group, version, kind, plural, namespaced: scope === 'Namespaced' };
}

export function apiVersionOf(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function groupVersionPath(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

/**
 * The REST path of a collection (no name) or of one object, optionally a subresource. A
 * namespaced type without a namespace means "across all namespaces" (lists and watches only).
 */
export function resourcePath(
  type: ResourceType,
  at: { namespace?: string; name?: string; subresource?: string } = {},
): string {
  if (type.namespaced && at.name !== undefined && !at.namespace) {
    throw new Error(`${type.kind} ${at.name}: a namespaced object needs a namespace`);
  }
  if (!type.namespaced && at.namespace) {
    throw new Error(`${type.kind} is cluster-scoped: no namespace (got ${at.namespace})`);
  }
  let path = groupVersionPath(type.group, type.version);
  if (at.namespace) path += `/namespaces/${encodeURIComponent(at.namespace)}`;
  path += `/${type.plural}`;
  if (at.name !== undefined) path += `/${encodeURIComponent(at.name)}`;
  if (at.subresource) path += `/${at.subresource}`;
  return path;
}

interface ApiResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

const BUILT_IN = new Map<string, ResourceType>(
  Object.values(resources).map((r) => [`${apiVersionOf(r)}/${r.kind}`, r]),
);

/** Finds the resource type of an apiVersion + kind: built-in table first, then discovery. */
export class RestMapper {
  #transport: KubeTransport;
  #discovered = new Map<string, Promise<Map<string, ResourceType>>>();

  constructor(transport: KubeTransport) {
    this.#transport = transport;
  }

  async resourceFor(apiVersion: string, kind: string): Promise<ResourceType> {
    const known = BUILT_IN.get(`${apiVersion}/${kind}`);
    if (known) return known;
    let found = (await this.#discover(apiVersion)).get(kind);
    if (!found) {
      // Discovery is cached; a CRD installed since then needs a fresh look.
      this.#discovered.delete(apiVersion);
      found = (await this.#discover(apiVersion)).get(kind);
    }
    if (!found) throw new Error(`the apiserver serves no kind ${kind} in ${apiVersion}`);
    return found;
  }

  #discover(apiVersion: string): Promise<Map<string, ResourceType>> {
    let pending = this.#discovered.get(apiVersion);
    if (!pending) {
      const { group, version } = parseApiVersion(apiVersion);
      pending = this.#transport
        .json<ApiResourceList>({ path: groupVersionPath(group, version) })
        .then((list) => {
          const byKind = new Map<string, ResourceType>();
          for (const r of list.resources) {
            if (r.name.includes('/')) continue; // subresources such as pods/log
            byKind.set(r.kind, {
              group,
              version,
              kind: r.kind,
              plural: r.name,
              namespaced: r.namespaced,
            });
          }
          return byKind;
        });
      // A failed lookup is not cached.
      pending.catch(() => this.#discovered.delete(apiVersion));
      this.#discovered.set(apiVersion, pending);
    }
    return pending;
  }
}
