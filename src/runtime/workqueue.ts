// A work queue of keys with client-go's guarantees: a key waiting in the queue is held once
// however often it is added; a key being processed is never handed to a second worker, and if it
// is added meanwhile it is processed again after done(); retries back off per key; delayed adds
// keep the earliest time asked for.
import { realClock, type Clock, type Timer } from './clock.ts';
import { defaultRateLimiter, type RateLimiter } from './ratelimit.ts';

/** What the queue reports; metrics.ts implements it with controller-runtime's metric names. */
export interface QueueMetrics {
  added(): void;
  depth(n: number): void;
  /** Seconds a key waited in the queue before a worker took it. */
  queued(seconds: number): void;
  /** Seconds a worker spent on a key. */
  worked(seconds: number): void;
  retried(): void;
}

export interface WorkQueueOptions {
  name?: string;
  clock?: Clock;
  rateLimiter?: RateLimiter;
  metrics?: QueueMetrics;
  /** Called when a process() handler throws; the key is requeued rate-limited either way. */
  onHandlerError?: (key: string, err: unknown) => void;
}

/** FIFO of keys; shift() is O(1) amortised, unlike Array.prototype.shift on a long array. */
class Fifo {
  #items: string[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(key: string): void {
    this.#items.push(key);
  }

  shift(): string | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const key = this.#items[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return key;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}

export class WorkQueue {
  readonly name: string;
  readonly clock: Clock;
  #limiter: RateLimiter;
  #metrics: QueueMetrics | undefined;
  #onHandlerError: ((key: string, err: unknown) => void) | undefined;

  #queue = new Fifo();
  /** Keys that need processing: queued, or re-added while processing. */
  #dirty = new Set<string>();
  /** Keys handed to a worker and not yet done(), with the time they were handed out. */
  #processing = new Map<string, number>();
  /** When each queued key was added, for the queue-duration metric. */
  #addedAt = new Map<string, number>();
  #delayed = new Map<string, { readyAt: number; timer: Timer }>();
  #waiters: ((key: string | undefined) => void)[] = [];
  #drained: (() => void)[] = [];
  #shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.name = options.name ?? 'workqueue';
    this.clock = options.clock ?? realClock;
    this.#limiter = options.rateLimiter ?? defaultRateLimiter(this.clock);
    this.#metrics = options.metrics;
    this.#onHandlerError = options.onHandlerError;
  }

  /** Keys waiting for a worker (not counting delayed ones or those being processed). */
  get length(): number {
    return this.#queue.length;
  }

  get processingCount(): number {
    return this.#processing.size;
  }

  get delayedCount(): number {
    return this.#delayed.size;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Times (on the queue's clock) at which the keys now being processed were handed out. */
  processingSince(): IterableIterator<number> {
    return this.#processing.values();
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#metrics?.added();
    this.#dirty.add(key);
    // A key being processed goes back in the queue when its worker calls done().
    if (this.#processing.has(key)) return;
    this.#enqueue(key);
  }

  /** Adds `key` after `ms`; if the key is already waiting to be added sooner, that time stands. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.clock.now() + ms;
    const existing = this.#delayed.get(key);
    if (existing && existing.readyAt <= readyAt) return;
    existing?.timer.cancel();
    const timer = this.clock.after(ms, () => {
      this.#delayed.delete(key);
      this.add(key);
    });
    this.#delayed.set(key, { readyAt, timer });
  }

  /** Adds `key` after its rate limiter's delay: for a retry after a failure. */
  addRateLimited(key: string): void {
    if (this.#shuttingDown) return;
    this.#metrics?.retried();
    this.addAfter(key, this.#limiter.when(key));
  }

  /** `key` succeeded: its next failure backs off from the base again. */
  forget(key: string): void {
    this.#limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.#limiter.retries(key);
  }

  /** The next key to process, waiting for one; undefined once the queue shuts down. */
  get(): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    const key = this.#take();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** A worker finished `key`; if it was added meanwhile it goes back in the queue. */
  done(key: string): void {
    const started = this.#processing.get(key);
    if (started === undefined) return;
    this.#processing.delete(key);
    this.#metrics?.worked((this.clock.now() - started) / 1000);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#enqueue(key);
    if (this.#processing.size === 0) {
      for (const resolve of this.#drained.splice(0)) resolve();
    }
  }

  /**
   * Stops the queue: adds are ignored, delayed and queued keys are dropped (a level-based
   * controller lists everything again when it next starts), and get() returns undefined. Keys
   * being processed may still call done(); drain() waits for them.
   */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) timer.cancel();
    this.#delayed.clear();
    this.#queue.clear();
    this.#dirty.clear();
    this.#addedAt.clear();
    this.#metrics?.depth(0);
    for (const resolve of this.#waiters.splice(0)) resolve(undefined);
  }

  /** Resolves once no key is being processed. */
  drain(): Promise<void> {
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /**
   * Runs `workers` concurrent loops of get -> handler -> done until the queue shuts down.
   * A handler that throws has its key requeued rate-limited. Resolves when every loop has ended.
   */
  async process(workers: number, handler: (key: string) => Promise<void>): Promise<void> {
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(`workers must be a positive integer, got ${workers}`);
    }
    const loop = async (): Promise<void> => {
      for (;;) {
        const key = await this.get();
        if (key === undefined) return;
        try {
          await handler(key);
        } catch (err) {
          this.#onHandlerError?.(key, err);
          this.addRateLimited(key);
        } finally {
          this.done(key);
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, loop));
  }

  #enqueue(key: string): void {
    this.#queue.push(key);
    this.#addedAt.set(key, this.clock.now());
    this.#metrics?.depth(this.#queue.length);
    this.#wake();
  }

  #take(): string | undefined {
    const key = this.#queue.shift();
    if (key === undefined) return undefined;
    const now = this.clock.now();
    this.#dirty.delete(key);
    this.#processing.set(key, now);
    const addedAt = this.#addedAt.get(key);
    this.#addedAt.delete(key);
    this.#metrics?.depth(this.#queue.length);
    if (addedAt !== undefined) this.#metrics?.queued((now - addedAt) / 1000);
    return key;
  }

  #wake(): void {
    while (this.#waiters.length > 0 && this.#queue.length > 0) {
      const key = this.#take();
      const resolve = this.#waiters.shift();
      if (key === undefined || !resolve) break;
      resolve(key);
    }
  }
}
