// The Kubernetes client the controllers use: reads, lists, watches, server-side apply (field
// manager `nbv`), status writes, idempotent create/delete, pod logs and Events. Objects go over
// the wire as plain JSON, exactly as the caller built them or the apiserver sent them.
//
// Timestamps in objects read through this client are RFC 3339 strings, also where client-node's
// V1* types say Date: use parseTime() to read them.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import type { KubeConfig } from '@kubernetes/client-node';
import { fromKubeConfig, type Connection } from './connection.ts';
import { KubeApiError, isAlreadyExists, isNotFound, type ApiStatus } from './errors.ts';
import {
  RestMapper,
  apiVersionOf,
  resourcePath,
  resources,
  type ObjectRef,
  type ResourceType,
} from './resources.ts';
import { KubeTransport, type Query } from './transport.ts';

/** What every Kubernetes object has; V1Pod, V1Job and the API's own kinds all fit. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    ownerReferences?: object[];
    managedFields?: unknown[];
  };
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
  continue?: string;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  /** The apiserver ends the watch after this long. */
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
  signal: AbortSignal;
}

export type WatchEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T }
  | { type: 'BOOKMARK'; resourceVersion: string };

export interface ApplyOptions {
  /** Defaults to the client's field manager (`nbv`). */
  fieldManager?: string;
  /**
   * Take over fields another manager owns. Defaults to true: a controller's desired state
   * wins (controller-runtime's ForceOwnership); false makes such conflicts errors (409).
   */
  force?: boolean;
  dryRun?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  /** Delete only the object with this uid, not a namesake created since. */
  uid?: string;
}

export interface EventInput {
  /** The object the event is about; needs apiVersion, kind and metadata.name (and uid). */
  regarding: KubeObject;
  type: 'Normal' | 'Warning';
  /** UpperCamelCase, e.g. ValidationSucceeded. */
  reason: string;
  /** Human-readable; cut to the apiserver's 1 KiB limit. */
  note: string;
  /** What was done; defaults to the reason. */
  action?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Per-call limits, for callers with deadlines of their own (leader election). */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface KubeClientOptions {
  fieldManager?: string;
  /** events.k8s.io reportingController. */
  reportingController?: string;
  /** events.k8s.io reportingInstance: the pod name in a cluster. */
  reportingInstance?: string;
  requestTimeoutMs?: number;
}

const EVENT_NOTE_LIMIT = 1024;

/** A timestamp field as read from the wire (string) or as client-node types it (Date). */
export function parseTime(value: string | Date | undefined | null): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits, as the apiserver parses it. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** "namespace/name", or "name" for cluster-scoped objects: the key of caches and queues. */
export function keyOf(ref: ObjectRef): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

/** The name and namespace of `obj`; throws when it has no name. */
export function objectRef(obj: KubeObject): ObjectRef {
  const { name, namespace } = obj.metadata ?? {};
  if (!name) throw new Error(`${obj.kind ?? 'object'} has no metadata.name`);
  return namespace ? { name, namespace } : { name };
}

export function objectKey(obj: KubeObject): string {
  return keyOf(objectRef(obj));
}

export function parseKey(key: string): ObjectRef {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export class KubeClient {
  readonly transport: KubeTransport;
  readonly mapper: RestMapper;
  readonly fieldManager: string;
  readonly reportingController: string;
  readonly reportingInstance: string;

  /** From a Connection (loadConnection()), or from a client-node KubeConfig. */
  constructor(target: Connection | KubeConfig, options: KubeClientOptions = {}) {
    const connection = 'auth' in target ? target : fromKubeConfig(target);
    this.transport = new KubeTransport(connection, { timeoutMs: options.requestTimeoutMs });
    this.mapper = new RestMapper(this.transport);
    this.fieldManager = options.fieldManager ?? 'nbv';
    this.reportingController = options.reportingController ?? 'mlops.dev/nbv';
    this.reportingInstance = options.reportingInstance ?? process.env.POD_NAME ?? hostname();
  }

  /** The object, or undefined when it does not exist. */
  async get<T extends KubeObject = KubeObject>(
    type: ResourceType,
    name: string,
    namespace?: string,
    call: CallOptions = {},
  ): Promise<T | undefined> {
    try {
      return await this.transport.json<T>({
        ...call,
        path: resourcePath(type, { name, namespace }),
      });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** One page of a list; `continue` in the result fetches the next. */
  async list<T extends KubeObject = KubeObject>(
    type: ResourceType,
    options: ListOptions & CallOptions = {},
  ): Promise<ListResult<T>> {
    const { namespace, labelSelector, fieldSelector, limit, resourceVersion } = options;
    const list = await this.transport.json<{
      items: T[] | null;
      metadata: { resourceVersion: string; continue?: string };
    }>({
      path: resourcePath(type, { namespace }),
      query: { labelSelector, fieldSelector, limit, continue: options.continue, resourceVersion },
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    // The apiserver omits kind/apiVersion on list items; put them back as a Get would have them.
    const items = (list.items ?? []).map((item) => ({
      apiVersion: apiVersionOf(type),
      kind: type.kind,
      ...item,
    }));
    return {
      items,
      resourceVersion: list.metadata.resourceVersion,
      ...(list.metadata.continue ? { continue: list.metadata.continue } : {}),
    };
  }

  /** Every matching object, fetched in pages of 500. */
  async listAll<T extends KubeObject = KubeObject>(
    type: ResourceType,
    options: Omit<ListOptions, 'continue' | 'limit'> = {},
  ): Promise<ListResult<T>> {
    const items: T[] = [];
    let page: ListResult<T> | undefined;
    do {
      page = await this.list<T>(type, { ...options, limit: 500, continue: page?.continue });
      items.push(...page.items);
    } while (page.continue);
    return { items, resourceVersion: page.resourceVersion };
  }

  /**
   * Watches a collection from `resourceVersion`. Ends when the apiserver closes the stream;
   * an ERROR event throws KubeApiError (410 Expired when the version is too old: list again).
   */
  async *watch<T extends KubeObject = KubeObject>(
    type: ResourceType,
    options: WatchOptions,
  ): AsyncGenerator<WatchEvent<T>> {
    const { namespace, labelSelector, fieldSelector, resourceVersion, timeoutSeconds } = options;
    const path = resourcePath(type, { namespace });
    const response = await this.transport.stream({
      path,
      query: {
        watch: 1,
        labelSelector,
        fieldSelector,
        resourceVersion,
        timeoutSeconds,
        allowWatchBookmarks: options.allowWatchBookmarks,
      },
      signal: options.signal,
    });
    const lines = createInterface({ input: response, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (!line) continue;
        const event = JSON.parse(line) as { type: string; object: T & ApiStatus };
        switch (event.type) {
          case 'ADDED':
          case 'MODIFIED':
          case 'DELETED':
            yield { type: event.type, object: event.object };
            break;
          case 'BOOKMARK':
            yield {
              type: 'BOOKMARK',
              resourceVersion: event.object.metadata?.resourceVersion ?? '',
            };
            break;
          case 'ERROR':
            throw new KubeApiError(`watch ${path}`, event.object.code ?? 500, event.object);
          default:
            throw new Error(`watch ${path}: unknown event type ${event.type}`);
        }
      }
    } finally {
      lines.close();
      response.destroy();
    }
  }

  /**
   * Server-side apply: the apiserver merges the fields in `obj` into the object, owned by the
   * field manager. Applying the same object again changes nothing (same resourceVersion).
   */
  async apply<T extends KubeObject>(obj: T, options: ApplyOptions = {}): Promise<T> {
    return this.#apply(obj, undefined, options);
  }

  /**
   * Server-side apply to the status subresource: `obj` needs apiVersion, kind, metadata.name
   * (and namespace) and the status fields this manager owns. Other managers' status fields stay.
   */
  async patchStatus<T extends KubeObject>(obj: T, options: ApplyOptions = {}): Promise<T> {
    return this.#apply(obj, 'status', options);
  }

  /** JSON merge patch (RFC 7386), e.g. to remove a finalizer; optionally on a subresource. */
  async mergePatch<T extends KubeObject = KubeObject>(
    type: ResourceType,
    ref: ObjectRef,
    patch: unknown,
    options: { subresource?: string } = {},
  ): Promise<T> {
    return this.#patch<T>(type, ref, patch, 'application/merge-patch+json', options.subresource);
  }

  /**
   * JSON patch (RFC 6902): addresses list items by index, which a merge patch cannot. A
   * `replace` of /metadata/resourceVersion among the ops makes the patch fail with 409 if the
   * object changed since that version was read.
   */
  async jsonPatch<T extends KubeObject = KubeObject>(
    type: ResourceType,
    ref: ObjectRef,
    ops: readonly { op: string; path: string; value?: unknown; from?: string }[],
    options: { subresource?: string } = {},
  ): Promise<T> {
    return this.#patch<T>(type, ref, ops, 'application/json-patch+json', options.subresource);
  }

  /**
   * Creates `obj`. With `tolerateExisting`, an object of that name already there is success and
   * is returned as it is (what makes "create the pod for attempt N" safe to repeat).
   */
  async create<T extends KubeObject>(
    obj: T,
    options: { tolerateExisting?: boolean } & CallOptions = {},
  ): Promise<T> {
    const type = await this.#typeOf(obj);
    const namespace = obj.metadata?.namespace;
    const { signal, timeoutMs } = options;
    try {
      return await this.transport.json<T>({
        signal,
        timeoutMs,
        method: 'POST',
        path: resourcePath(type, { namespace }),
        query: { fieldManager: this.fieldManager },
        body: obj,
      });
    } catch (err) {
      const name = obj.metadata?.name;
      if (!options.tolerateExisting || !isAlreadyExists(err) || !name) throw err;
      const existing = await this.get<T>(type, name, namespace, { signal, timeoutMs });
      if (!existing) throw err; // deleted in between: let the caller's retry create it
      return existing;
    }
  }

  /** Replaces `obj` (PUT); its metadata.resourceVersion makes it fail with 409 if stale. */
  async replace<T extends KubeObject>(obj: T, call: CallOptions = {}): Promise<T> {
    const type = await this.#typeOf(obj);
    return this.transport.json<T>({
      ...call,
      method: 'PUT',
      path: resourcePath(type, objectRef(obj)),
      query: { fieldManager: this.fieldManager },
      body: obj,
    });
  }

  /** Deletes an object; true if this call deleted it, false if it was already gone. */
  async delete(type: ResourceType, ref: ObjectRef, options: DeleteOptions = {}): Promise<boolean> {
    try {
      await this.transport.json({
        method: 'DELETE',
        path: resourcePath(type, ref),
        body: {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          propagationPolicy: options.propagationPolicy,
          gracePeriodSeconds: options.gracePeriodSeconds,
          preconditions: options.uid ? { uid: options.uid } : undefined,
        },
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** A container's log, at most `limitBytes` of it (the apiserver cuts the rest). */
  async readPodLog(
    namespace: string,
    pod: string,
    options: {
      container?: string;
      limitBytes?: number;
      tailLines?: number;
      previous?: boolean;
    } = {},
  ): Promise<string> {
    const query: Query = { ...options };
    return this.transport.text({
      path: resourcePath(resources.pods, { namespace, name: pod, subresource: 'log' }),
      query,
    });
  }

  /** Records an events.k8s.io/v1 Event about `regarding`; `kubectl describe` shows it. */
  async createEvent(input: EventInput): Promise<KubeObject> {
    const { apiVersion, kind, metadata } = input.regarding;
    if (!apiVersion || !kind || !metadata?.name) {
      throw new Error('an Event needs regarding.apiVersion, kind and metadata.name');
    }
    const now = new Date();
    // Cluster-scoped objects get their events in "default", as client-go's recorder does.
    const namespace = metadata.namespace || 'default';
    const event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: {
        name: `${metadata.name}.${now.getTime().toString(16)}${randomBytes(4).toString('hex')}`,
        namespace,
        labels: input.labels,
        annotations: input.annotations,
      },
      eventTime: microTime(now),
      reportingController: this.reportingController,
      reportingInstance: this.reportingInstance.slice(0, 128),
      action: (input.action ?? input.reason).slice(0, 128),
      reason: input.reason.slice(0, 128),
      note: truncateBytes(input.note, EVENT_NOTE_LIMIT),
      type: input.type,
      regarding: {
        apiVersion,
        kind,
        name: metadata.name,
        namespace: metadata.namespace,
        uid: metadata.uid,
        resourceVersion: metadata.resourceVersion,
      },
    };
    return this.transport.json<KubeObject>({
      method: 'POST',
      path: resourcePath(resources.events, { namespace }),
      body: event,
    });
  }

  /** Closes idle connections. */
  close(): void {
    this.transport.close();
  }

  async #apply<T extends KubeObject>(
    obj: T,
    subresource: string | undefined,
    options: ApplyOptions,
  ): Promise<T> {
    const type = await this.#typeOf(obj);
    // managedFields in an apply body is an error; a caller may pass an object it read.
    const { managedFields: _managedFields, ...metadata } = obj.metadata ?? {};
    return this.transport.json<T>({
      method: 'PATCH',
      path: resourcePath(type, { ...objectRef(obj), subresource }),
      query: {
        fieldManager: options.fieldManager ?? this.fieldManager,
        force: options.force ?? true,
        dryRun: options.dryRun ? 'All' : undefined,
      },
      body: { ...obj, metadata },
      contentType: 'application/apply-patch+yaml',
    });
  }

  #patch<T>(
    type: ResourceType,
    ref: ObjectRef,
    body: unknown,
    contentType: string,
    subresource: string | undefined,
  ): Promise<T> {
    return this.transport.json<T>({
      method: 'PATCH',
      path: resourcePath(type, { ...ref, subresource }),
      query: { fieldManager: this.fieldManager },
      body,
      contentType,
    });
  }

  #typeOf(obj: KubeObject): Promise<ResourceType> {
    if (!obj.apiVersion || !obj.kind) {
      return Promise.reject(new Error('the object needs apiVersion and kind'));
    }
    return this.mapper.resourceFor(obj.apiVersion, obj.kind);
  }
}

function truncateBytes(text: string, limit: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limit) return text;
  // Cut on a character boundary and mark the cut.
  let cut = bytes.subarray(0, limit - 3).toString('utf8');
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1);
  return `${cut}...`;
}
