// Rate limiters for requeues, with controller-runtime's default: the larger of a per-item
// exponential backoff (5 ms doubling to 1000 s) and a global token bucket (10 qps, burst 100),
// so that one failing object backs off alone while a storm of failures cannot flood the apiserver.
import type { Clock } from './clock.ts';

export interface RateLimiter {
  /** How long `key` should wait before its next try; counts the try. */
  when(key: string): number;
  /** The key succeeded: its backoff starts again from the base. */
  forget(key: string): void;
  /** Tries counted for `key` since it was last forgotten. */
  retries(key: string): number;
}

export class ItemExponentialBackoff implements RateLimiter {
  readonly baseMs: number;
  readonly maxMs: number;
  #failures = new Map<string, number>();

  constructor(baseMs = 5, maxMs = 1_000_000) {
    if (!(baseMs > 0) || !(maxMs >= baseMs)) {
      throw new RangeError(`backoff needs 0 < base (${baseMs}) <= max (${maxMs})`);
    }
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }

  when(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    // 2^1100 is Infinity, which min() turns into max: no overflow handling needed.
    return Math.min(this.baseMs * 2 ** failures, this.maxMs);
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  retries(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

/**
 * A token bucket shared by all keys. Like Go's rate.Limiter.Reserve, a request when the bucket is
 * empty borrows from the future (tokens go negative) and waits until its token would exist.
 */
export class TokenBucket implements RateLimiter {
  readonly qps: number;
  readonly burst: number;
  #clock: Clock;
  #tokens: number;
  #last: number;

  constructor(clock: Clock, qps = 10, burst = 100) {
    if (!(qps > 0) || !(burst >= 1)) throw new RangeError(`token bucket needs qps > 0, burst >= 1`);
    this.qps = qps;
    this.burst = burst;
    this.#clock = clock;
    this.#tokens = burst;
    this.#last = clock.now();
  }

  when(): number {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.qps);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.qps) * 1000;
  }

  forget(): void {}

  retries(): number {
    return 0;
  }
}

/** Waits as long as the slowest of its limiters says. */
export class MaxOfRateLimiter implements RateLimiter {
  #limiters: RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.#limiters = limiters;
  }

  when(key: string): number {
    return Math.max(0, ...this.#limiters.map((l) => l.when(key)));
  }

  forget(key: string): void {
    for (const l of this.#limiters) l.forget(key);
  }

  retries(key: string): number {
    return Math.max(0, ...this.#limiters.map((l) => l.retries(key)));
  }
}

export interface RateLimiterOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  qps?: number;
  burst?: number;
}

export function defaultRateLimiter(clock: Clock, options: RateLimiterOptions = {}): RateLimiter {
  return new MaxOfRateLimiter(
    new ItemExponentialBackoff(options.baseDelayMs ?? 5, options.maxDelayMs ?? 1_000_000),
    new TokenBucket(clock, options.qps ?? 10, options.burst ?? 100),
  );
}
