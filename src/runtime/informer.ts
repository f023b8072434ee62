// A list+watch cache of one resource type (optionally one namespace and a label selector), like
// client-go's shared informer: list, then watch from the list's resourceVersion and keep the
// cache and handlers up to date; re-list when the apiserver says the version is gone (410);
// re-watch with backoff on errors; restart a watch that has gone silent (a dead connection
// shows no error, it just stops delivering); optionally re-deliver everything periodically.
import { setTimeout as delay } from 'node:timers/promises';
import { isGone } from './errors.ts';
import {
  objectKey,
  type KubeClient,
  type KubeObject,
  type ListOptions,
  type ListResult,
  type WatchEvent,
  type WatchOptions,
} from './kube.ts';
import { silentLogger, type Logger } from './log.ts';
import type { ResourceType } from './resources.ts';
import { Store, type IndexFunc } from './store.ts';

/** The two calls an informer makes; KubeClient's list and watch by default. */
export interface ListerWatcher<T extends KubeObject> {
  list(options: ListOptions & { signal?: AbortSignal }): Promise<ListResult<T>>;
  watch(options: WatchOptions): AsyncIterable<WatchEvent<T>>;
}

export interface EventHandlers<T extends KubeObject> {
  add?(obj: T): void;
  /** Also called with old === obj on periodic resync. */
  update?(old: T, obj: T): void;
  /** After a re-list, `obj` is the last state the cache saw. */
  delete?(obj: T): void;
}

export interface InformerOptions<T extends KubeObject> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Re-deliver every cached object as an update this often; 0 (default) never. */
  resyncMs?: number;
  /** The apiserver ends each watch after between this and twice this (default 300 s). */
  watchTimeoutSeconds?: number;
  /**
   * A watch with no event and no bookmark for this long counts as dead and is restarted. The
   * apiserver sends a bookmark at least every minute, so the default of 2 minutes never
   * restarts a healthy watch.
   */
  watchIdleTimeoutMs?: number;
  /** Backoff after failed lists/watches: doubles from `initialMs` to `maxMs`. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Page size of lists; small pages keep the transient memory of a re-list low. */
  pageSize?: number;
  indexers?: Record<string, IndexFunc>;
  /** Applied to each object before it is cached (managedFields are always dropped). */
  transform?: (obj: T) => T;
  log?: Logger;
  /** Replaces the apiserver calls, e.g. to route them through something else. */
  listerWatcher?: ListerWatcher<T>;
}

export interface InformerStats {
  /** Complete lists (the first one and every re-list). */
  lists: number;
  /** Re-lists because a watch or list answered 410 Gone. */
  relistsOnGone: number;
  /** Watches restarted by the watchdog. */
  watchdogRestarts: number;
  /** Failed lists or watches (other than 410), each followed by a backoff. */
  failures: number;
  resourceVersion: string;
}

type WatchEnd = 'closed' | 'idle' | 'stopped';

export class Informer<T extends KubeObject = KubeObject> {
  readonly type: ResourceType;
  readonly store: Store<T>;
  readonly stats: InformerStats = {
    lists: 0,
    relistsOnGone: 0,
    watchdogRestarts: 0,
    failures: 0,
    resourceVersion: '',
  };

  #lw: ListerWatcher<T>;
  #options: InformerOptions<T>;
  #log: Logger;
  #handlers = new Set<EventHandlers<T>>();
  #synced = false;
  #syncWaiters: (() => void)[] = [];
  #stop = new AbortController();
  #running: Promise<void> | undefined;
  #resync: NodeJS.Timeout | undefined;

  constructor(client: KubeClient, type: ResourceType, options: InformerOptions<T> = {}) {
    this.type = type;
    this.#options = options;
    this.store = new Store<T>(options.indexers);
    this.#log = (options.log ?? silentLogger).child({
      informer: type.group ? `${type.plural}.${type.group}` : type.plural,
      ...(options.namespace ? { namespace: options.namespace } : {}),
    });
    const { namespace, labelSelector, fieldSelector } = options;
    const scope = { namespace, labelSelector, fieldSelector };
    this.#lw = options.listerWatcher ?? {
      list: (o) => client.list<T>(type, { ...scope, ...o }),
      watch: (o) => client.watch<T>(type, { ...scope, ...o }),
    };
  }

  /** Adds handlers; once synced, they first get an add for every cached object. */
  addHandlers(handlers: EventHandlers<T>): () => void {
    this.#handlers.add(handlers);
    if (this.#synced) for (const obj of this.store.values()) this.#call(handlers, 'add', obj);
    return () => this.#handlers.delete(handlers);
  }

  /** True once the first complete list is in the cache and has been delivered. */
  hasSynced(): boolean {
    return this.#synced;
  }

  waitForSync(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  start(): void {
    if (this.#running) return;
    this.#running = this.#run();
    const resyncMs = this.#options.resyncMs ?? 0;
    if (resyncMs > 0) {
      this.#resync = setInterval(() => this.#resyncAll(), resyncMs);
      this.#resync.unref();
    }
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    clearInterval(this.#resync);
    await this.#running;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    let mustList = true;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (mustList) {
          await this.#list();
          mustList = false;
        }
        const started = Date.now();
        const end = await this.#watch();
        if (end === 'idle') {
          this.stats.watchdogRestarts++;
          // Info, not warn: an empty collection can go this long without a bookmark.
          this.#log.info(
            { idleMs: this.#idleTimeoutMs() },
            'no event or bookmark for a while; re-establishing the watch',
          );
        }
        if (end === 'closed' && Date.now() - started < 1000) {
          // A watch that ends as soon as it starts would otherwise be re-opened in a tight loop.
          await delay(this.#backoff(++failures), undefined, { signal }).catch(() => {});
        } else failures = 0;
      } catch (err) {
        if (signal.aborted) break;
        if (isGone(err)) {
          // The resourceVersion is older than the apiserver keeps: only a fresh list helps.
          this.stats.relistsOnGone++;
          this.#log.info(
            { resourceVersion: this.stats.resourceVersion },
            'watch expired (410); re-listing',
          );
          mustList = true;
          continue;
        }
        this.stats.failures++;
        const wait = this.#backoff(++failures);
        this.#log.warn({ err, retryInMs: wait, relist: mustList }, 'list/watch failed');
        await delay(wait, undefined, { signal }).catch(() => {});
      }
    }
  }

  /** Lists page by page into the cache; objects not seen in the list are deleted after it. */
  async #list(): Promise<void> {
    const seen = new Set<string>();
    let page: ListResult<T> | undefined;
    do {
      page = await this.#lw.list({
        limit: this.#options.pageSize ?? 100,
        continue: page?.continue,
      });
      for (const obj of page.items) {
        seen.add(objectKey(obj));
        this.#upsert(obj);
      }
    } while (page.continue);
    for (const key of [...this.store.keys()]) {
      if (seen.has(key)) continue;
      const old = this.store.delete(key);
      if (old) this.#deliver('delete', old);
    }
    this.stats.lists++;
    this.stats.resourceVersion = page.resourceVersion;
    if (!this.#synced) {
      this.#synced = true;
      this.#log.debug({ objects: this.store.size }, 'cache synced');
      for (const resolve of this.#syncWaiters.splice(0)) resolve();
    }
  }

  async #watch(): Promise<WatchEnd> {
    const min = this.#options.watchTimeoutSeconds ?? 300;
    const abort = new AbortController();
    // any() also covers a stop() that came before this watch started.
    const signal = AbortSignal.any([this.#stop.signal, abort.signal]);
    let idle = false;
    const watchdog = setTimeout(() => {
      idle = true;
      abort.abort();
    }, this.#idleTimeoutMs());
    watchdog.unref();
    try {
      const events = this.#lw.watch({
        resourceVersion: this.stats.resourceVersion,
        // Spread over [min, 2*min] so that many informers do not re-watch in step.
        timeoutSeconds: Math.floor(min * (1 + Math.random())),
        allowWatchBookmarks: true,
        signal,
      });
      for await (const event of events) {
        watchdog.refresh();
        this.#apply(event);
      }
      return 'closed';
    } catch (err) {
      if (idle) return 'idle';
      if (this.#stop.signal.aborted) return 'stopped';
      throw err;
    } finally {
      clearTimeout(watchdog);
    }
  }

  #apply(event: WatchEvent<T>): void {
    if (event.type === 'BOOKMARK') {
      if (event.resourceVersion) this.stats.resourceVersion = event.resourceVersion;
      return;
    }
    const obj = event.object;
    if (event.type === 'DELETED') {
      this.store.delete(objectKey(obj));
      this.#deliver('delete', this.#prepare(obj));
    } else {
      this.#upsert(obj);
    }
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.stats.resourceVersion = rv;
  }

  #prepare(received: T): T {
    const obj = strip(received);
    return this.#options.transform ? this.#options.transform(obj) : obj;
  }

  #upsert(received: T): void {
    const obj = this.#prepare(received);
    const old = this.store.upsert(obj);
    if (old) this.#deliverUpdate(old, obj);
    else this.#deliver('add', obj);
  }

  #resyncAll(): void {
    if (!this.#synced) return;
    for (const obj of this.store.values()) this.#deliverUpdate(obj, obj);
  }

  #deliver(kind: 'add' | 'delete', obj: T): void {
    for (const handlers of this.#handlers) this.#call(handlers, kind, obj);
  }

  #deliverUpdate(old: T, obj: T): void {
    for (const handlers of this.#handlers) {
      try {
        handlers.update?.(old, obj);
      } catch (err) {
        this.#log.error({ err }, 'update handler threw');
      }
    }
  }

  #call(handlers: EventHandlers<T>, kind: 'add' | 'delete', obj: T): void {
    try {
      handlers[kind]?.(obj);
    } catch (err) {
      this.#log.error({ err }, `${kind} handler threw`);
    }
  }

  #idleTimeoutMs(): number {
    return this.#options.watchIdleTimeoutMs ?? 120_000;
  }

  #backoff(failures: number): number {
    const initial = this.#options.backoff?.initialMs ?? 800;
    const max = this.#options.backoff?.maxMs ?? 30_000;
    const base = Math.min(initial * 2 ** (failures - 1), max);
    // Up to +50% jitter, so that replicas that failed together do not retry together.
    return Math.round(base * (1 + Math.random() * 0.5));
  }
}

/** managedFields are a large share of many objects and nothing a controller reads. */
function strip<T extends KubeObject>(obj: T): T {
  if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
  return obj;
}
