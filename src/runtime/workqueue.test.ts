import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from './clock.ts';
import { ItemExponentialBackoff, TokenBucket, defaultRateLimiter } from './ratelimit.ts';
import { WorkQueue, type QueueMetrics } from './workqueue.ts';

/** Resolves on the next macrotask, after every promise continuation queued so far. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function queue(clock = new ManualClock(), rateLimiter = new ItemExponentialBackoff(5, 1000)) {
  return { clock, q: new WorkQueue({ clock, rateLimiter }) };
}

describe('WorkQueue', () => {
  it('holds a waiting key once however often it is added, in FIFO order', async () => {
    const { q } = queue();
    q.add('a');
    q.add('b');
    q.add('a');
    assert.equal(q.length, 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(q.length, 0);
  });

  it('never hands out a key being processed, and processes it again after done()', async () => {
    const { q } = queue();
    q.add('a');
    assert.equal(await q.get(), 'a');
    q.add('a');
    q.add('a');
    assert.equal(q.length, 0, 'a key being processed is not queued');
    let next: string | undefined;
    void q.get().then((key) => (next = key));
    await settle();
    assert.equal(next, undefined, 'the second worker must wait');
    q.done('a');
    await settle();
    assert.equal(next, 'a', 're-added while processing: handed out once more');
    q.done('a');
    assert.equal(q.length, 0);
    assert.equal(q.processingCount, 0);
  });

  it('runs one key on one worker at a time across many workers', async () => {
    const { q } = queue();
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const workers = q.process(4, async (key) => {
      assert.equal(key, 'a');
      running++;
      runs++;
      maxRunning = Math.max(maxRunning, running);
      if (runs === 1) await blocked;
      running--;
      if (runs === 2) q.shutDown();
    });
    q.add('a');
    await settle();
    q.add('a');
    q.add('a');
    await settle();
    assert.equal(runs, 1, 'the re-added key waits for the running one');
    release();
    await workers;
    assert.equal(runs, 2, 'the adds while running collapse into one more run');
    assert.equal(maxRunning, 1);
  });

  it('backs a key off exponentially up to the maximum, and forget() resets it', () => {
    const { q, clock } = queue();
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      q.addRateLimited('a');
      let waited = 0;
      while (q.length === 0) {
        clock.advance(1);
        waited++;
      }
      delays.push(waited);
      void q.get();
      q.done('a');
    }
    assert.deepEqual(delays, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    assert.equal(q.numRequeues('a'), 10);
    q.forget('a');
    assert.equal(q.numRequeues('a'), 0);
    q.addRateLimited('a');
    clock.advance(4);
    assert.equal(q.length, 0);
    clock.advance(1);
    assert.equal(q.length, 1, 'after forget() the delay starts from the base again');
  });

  it('keeps backoff per key', () => {
    const { q, clock } = queue();
    q.addRateLimited('a');
    clock.advance(5);
    q.addRateLimited('a');
    q.addRateLimited('b');
    clock.advance(5);
    assert.equal(q.length, 2, 'b starts at the base while a has not waited its 10 ms yet');
  });

  it('addAfter keeps the earliest time asked for', () => {
    const { q, clock } = queue();
    q.addAfter('a', 100);
    q.addAfter('a', 50);
    q.addAfter('a', 200);
    assert.equal(q.delayedCount, 1);
    clock.advance(49);
    assert.equal(q.length, 0);
    clock.advance(1);
    assert.equal(q.length, 1);
    clock.advance(500);
    assert.equal(q.length, 1, 'the later requests were dropped, not added again');
    assert.equal(clock.pendingTimers, 0);
    q.addAfter('b', 0);
    assert.equal(q.length, 2, 'no delay adds at once');
  });

  it('shuts down: waiting workers get undefined, adds are ignored, drain waits for work', async () => {
    const { q, clock } = queue();
    q.add('a');
    q.add('b');
    q.addAfter('c', 10);
    assert.equal(await q.get(), 'a');
    const idle = new WorkQueue({ clock });
    const waiting = idle.get();
    idle.shutDown();
    assert.equal(await waiting, undefined);

    q.shutDown();
    assert.equal(clock.pendingTimers, 0, 'delayed adds are cancelled');
    assert.equal(await q.get(), undefined, 'queued keys are dropped');
    q.add('d');
    q.addRateLimited('d');
    assert.equal(q.length, 0);
    let drained = false;
    const drain = q.drain().then(() => (drained = true));
    await settle();
    assert.equal(drained, false, 'a is still being processed');
    q.done('a');
    await drain;
    assert.equal(q.length, 0, 'done() after shutdown does not requeue');
  });

  it('requeues a key whose handler throws, rate-limited', async () => {
    const clock = new ManualClock();
    const errors: string[] = [];
    const q = new WorkQueue({
      clock,
      rateLimiter: new ItemExponentialBackoff(5, 1000),
      onHandlerError: (key, err) => errors.push(`${key}: ${(err as Error).message}`),
    });
    let calls = 0;
    const workers = q.process(1, async () => {
      calls++;
      if (calls === 1) throw new Error('boom');
      q.shutDown();
    });
    q.add('a');
    await settle();
    assert.deepEqual(errors, ['a: boom']);
    assert.equal(q.length, 0, 'not retried before its backoff');
    clock.advance(5);
    await workers;
    assert.equal(calls, 2);
  });

  it('reports adds, depth, waits and work to its metrics', async () => {
    const clock = new ManualClock();
    const seen = {
      added: 0,
      depth: [] as number[],
      queued: [] as number[],
      worked: [] as number[],
    };
    const metrics: QueueMetrics = {
      added: () => seen.added++,
      depth: (n) => seen.depth.push(n),
      queued: (s) => seen.queued.push(s),
      worked: (s) => seen.worked.push(s),
      retried: () => {},
    };
    const q = new WorkQueue({ clock, metrics });
    q.add('a');
    q.add('a');
    clock.advance(250);
    await q.get();
    clock.advance(1500);
    assert.deepEqual([...q.processingSince()], [250]);
    q.done('a');
    assert.equal(seen.added, 1);
    assert.deepEqual(seen.depth, [1, 0]);
    assert.deepEqual(seen.queued, [0.25]);
    assert.deepEqual(seen.worked, [1.5]);
  });
});

describe('rate limiters', () => {
  it('token bucket: a burst passes, then one token per 1/qps', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(clock, 10, 3);
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => bucket.when()),
      [0, 0, 0, 100, 200],
    );
    clock.advance(1000);
    // 10 tokens refilled minus the 2 borrowed = 8, capped at the burst of 3.
    assert.deepEqual(
      [1, 2, 3, 4].map(() => bucket.when()),
      [0, 0, 0, 100],
    );
  });

  it('default: per-key backoff, and a global 10 qps / burst 100 across keys', () => {
    const clock = new ManualClock();
    const limiter = defaultRateLimiter(clock);
    const first = Array.from({ length: 100 }, (_, i) => limiter.when(`k${i}`));
    assert.ok(
      first.every((d) => d === 5),
      'within the burst each new key waits the base delay',
    );
    assert.equal(limiter.when('k100'), 100, 'the 101st failure in a burst waits for a token');
    assert.equal(limiter.when('k0'), 200, 'the bucket dominates the per-key 10 ms');
    clock.advance(1_000_000);
    assert.equal(limiter.when('k0'), 20, 'with tokens back, the per-key backoff shows');
    limiter.forget('k0');
    assert.equal(limiter.when('k0'), 5);
  });

  it('rejects nonsense settings', () => {
    assert.throws(() => new ItemExponentialBackoff(0, 10), RangeError);
    assert.throws(() => new ItemExponentialBackoff(10, 5), RangeError);
    assert.throws(() => new TokenBucket(new ManualClock(), 0, 1), RangeError);
  });
});
