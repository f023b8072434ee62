// A controller: events from informers become keys in a work queue; workers call reconcile(key)
// for each, never twice at once for one key. A thrown error retries the key with backoff; a
// result can ask for a later look. Every reconcile gets an ID that is on each of its log lines.
import { randomUUID } from 'node:crypto';
import { realClock, type Clock } from './clock.ts';
import type { EventHandlers, Informer } from './informer.ts';
import { keyOf, objectRef, parseKey, type KubeObject } from './kube.ts';
import { silentLogger, type Logger } from './log.ts';
import type { ReconcileResult, RuntimeMetrics } from './metrics.ts';
import { defaultRateLimiter, type RateLimiterOptions } from './ratelimit.ts';
import { parseApiVersion, type ObjectRef, type ResourceType } from './resources.ts';
import { WorkQueue } from './workqueue.ts';

export interface Request extends ObjectRef {
  /** "namespace/name" or "name". */
  key: string;
}

export interface ReconcileContext {
  log: Logger;
  reconcileID: string;
  /**
   * Aborted as soon as the controller begins to stop (shutdown, lost leadership): long waits
   * should end early; a reconcile that ignores it still gets the drain deadline to finish.
   */
  signal: AbortSignal;
}

/** requeueAfter: look again after this many ms (a timeout to check, a pod to poll). */
export type ReconcileOutcome = { requeueAfter?: number; requeue?: boolean } | void;

export type Reconciler = (request: Request, ctx: ReconcileContext) => Promise<ReconcileOutcome>;

/** An error that retrying cannot fix (bad spec): logged and counted, not requeued. */
export class TerminalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** Which objects an informer serves: a resource type, narrowed by namespace and labels. */
export interface Source {
  resource: ResourceType;
  namespace?: string;
  labelSelector?: string;
  /**
   * Slims each object before it is cached (drop what no reconciler reads). Sources that differ
   * only by it cannot share an informer: pass the same function everywhere.
   */
  transform?: (obj: KubeObject) => KubeObject;
}

/** A Source, or just a resource type for all its objects. */
export type SourceLike = Source | ResourceType;

export function toSource(source: SourceLike): Source {
  return 'resource' in source ? source : { resource: source };
}

export interface ControllerOptions {
  name: string;
  /** The kind reconciled: its own events enqueue its key. */
  primary: SourceLike;
  /** Kinds whose controller owner reference names a primary object: they enqueue the owner. */
  owns?: SourceLike[];
  /** Other kinds, mapped to the primary objects they concern. */
  watches?: (Source & { map: (obj: KubeObject) => ObjectRef[] })[];
  reconcile: Reconciler;
  /** Concurrent reconciles (of different keys); default 1. */
  workers?: number;
  rateLimiter?: RateLimiterOptions;
}

export interface ControllerDeps {
  informer(source: Source): Informer;
  metrics: RuntimeMetrics;
  log?: Logger;
  clock?: Clock;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  #options: ControllerOptions;
  #deps: ControllerDeps;
  #log: Logger;
  #workers: number;
  #stop = new AbortController();
  #subscriptions: { informer: Informer; handlers: EventHandlers<KubeObject> }[];
  #unsubscribe: (() => void)[] = [];
  #running: Promise<void> | undefined;
  #untrack: () => void;

  constructor(options: ControllerOptions, deps: ControllerDeps) {
    this.name = options.name;
    this.#options = options;
    this.#deps = deps;
    this.#log = (deps.log ?? silentLogger).child({ controller: options.name });
    this.#workers = options.workers ?? 1;
    const clock = deps.clock ?? realClock;
    this.queue = new WorkQueue({
      name: options.name,
      clock,
      rateLimiter: defaultRateLimiter(clock, options.rateLimiter),
      metrics: deps.metrics.queueMetrics(options.name),
    });
    this.#untrack = deps.metrics.trackQueue(this.queue);
    // Informers are asked for now, so that the manager starts and syncs them before leading.
    this.#subscriptions = this.#subscribe();
  }

  /** Every informer this controller reads, with the handlers that enqueue from it. */
  #subscribe(): { informer: Informer; handlers: EventHandlers<KubeObject> }[] {
    const { owns = [], watches = [] } = this.#options;
    const primary = toSource(this.#options.primary);
    const sources = [
      { source: primary, map: (obj: KubeObject) => (obj.metadata?.name ? [objectRef(obj)] : []) },
      ...owns.map((owned) => ({
        source: toSource(owned),
        map: (obj: KubeObject) => controllerOwner(obj, primary.resource),
      })),
      ...watches.map(({ map, ...source }) => ({ source, map })),
    ];
    return sources.map(({ source, map }) => {
      const on = (obj: KubeObject): void => {
        for (const ref of map(obj)) this.enqueue(ref);
      };
      return {
        informer: this.#deps.informer(source),
        handlers: { add: on, update: (_old, obj) => on(obj), delete: on },
      };
    });
  }

  /** Asks for a reconcile of `ref`. */
  enqueue(ref: ObjectRef): void {
    this.queue.add(keyOf(ref));
  }

  /** Starts workers and event delivery; the informers must have synced. */
  start(): void {
    if (this.#running) return;
    const metrics = this.#deps.metrics;
    metrics.maxConcurrentReconciles.set({ controller: this.name }, this.#workers);
    metrics.activeWorkers.set({ controller: this.name }, 0);
    for (const { informer, handlers } of this.#subscriptions) {
      this.#unsubscribe.push(informer.addHandlers(handlers));
    }
    this.#log.info({ workers: this.#workers }, 'starting workers');
    this.#running = this.queue.process(this.#workers, (key) => this.#reconcile(key));
  }

  /**
   * Stops taking work, aborts the running reconciles' signal and waits up to `deadlineMs` for
   * them; resolves true if they all finished in time.
   */
  async stop(deadlineMs = 30_000): Promise<boolean> {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    this.queue.shutDown();
    this.#stop.abort();
    this.#untrack();
    if (!this.#running) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    const finished = await Promise.race([this.#running.then(() => true as const), timedOut]);
    clearTimeout(timer);
    if (!finished) {
      this.#log.warn(
        { inFlight: this.queue.processingCount },
        'reconciles still running at the deadline',
      );
    }
    return finished;
  }

  async #reconcile(key: string): Promise<void> {
    const { metrics } = this.#deps;
    const controller = this.name;
    const ref = parseKey(key);
    const reconcileID = randomUUID();
    // #log carries the controller's name already.
    const log = this.#log.child({ ...ref, reconcileID });
    metrics.activeWorkers.inc({ controller });
    const endTimer = metrics.reconcileTime.startTimer({ controller });
    let result: ReconcileResult;
    try {
      const outcome = await this.#options.reconcile(
        { key, ...ref },
        { log, reconcileID, signal: this.#stop.signal },
      );
      if (outcome?.requeueAfter !== undefined && outcome.requeueAfter > 0) {
        this.queue.forget(key);
        this.queue.addAfter(key, outcome.requeueAfter);
        result = 'requeue_after';
      } else if (outcome?.requeue) {
        this.queue.addRateLimited(key);
        result = 'requeue';
      } else {
        this.queue.forget(key);
        result = 'success';
      }
    } catch (err) {
      result = 'error';
      metrics.reconcileErrors.inc({ controller });
      if (err instanceof TerminalError) {
        this.queue.forget(key);
        log.error({ err }, 'reconciler error (terminal, not retried)');
      } else {
        this.queue.addRateLimited(key);
        log.error({ err, retries: this.queue.numRequeues(key) }, 'reconciler error');
      }
    } finally {
      endTimer();
      metrics.activeWorkers.dec({ controller });
    }
    metrics.reconcileTotal.inc({ controller, result });
  }
}

/** The primary object named by `obj`'s controller owner reference, if it is of `primary`'s kind. */
function controllerOwner(obj: KubeObject, primary: ResourceType): ObjectRef[] {
  for (const ref of (obj.metadata?.ownerReferences ?? []) as Partial<{
    apiVersion: string;
    kind: string;
    name: string;
    controller: boolean;
  }>[]) {
    if (!ref.controller || ref.kind !== primary.kind || !ref.name || !ref.apiVersion) continue;
    if (parseApiVersion(ref.apiVersion).group !== primary.group) continue;
    const namespace = obj.metadata?.namespace;
    return [primary.namespaced && namespace ? { name: ref.name, namespace } : { name: ref.name }];
  }
  return [];
}
