import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ManualClock } from './clock.ts';
import { RuntimeMetrics } from './metrics.ts';
import { checksHandler, metricsHandler, startServer } from './server.ts';
import { WorkQueue } from './workqueue.ts';

describe('probe and metrics server', () => {
  it('answers 200 when all checks pass and 500 naming the failed one', async () => {
    let synced = false;
    const handler = checksHandler({
      ping: () => true,
      informers: () => synced || 'caches not synced',
    });
    const failing = await handler();
    assert.equal(failing.status, 500);
    assert.match(failing.body, /\[\+\]ping ok/);
    assert.match(failing.body, /\[-\]informers failed: caches not synced/);
    synced = true;
    assert.equal((await handler()).status, 200);
    const throwing = checksHandler({
      boom: () => {
        throw new Error('kaput');
      },
    });
    assert.match((await throwing()).body, /\[-\]boom failed: kaput/);
  });

  it('serves routes over HTTP, 404 elsewhere, 405 for other methods', async () => {
    const metrics = new RuntimeMetrics();
    const clock = new ManualClock();
    const queue = new WorkQueue({ name: 'q', clock, metrics: metrics.queueMetrics('q') });
    metrics.trackQueue(queue);
    queue.add('a');
    await queue.get();
    clock.advance(2500);
    const server = await startServer({
      port: 0,
      host: '127.0.0.1',
      routes: { '/metrics': metricsHandler(metrics.registry), '/healthz': checksHandler({}) },
    });
    after(() => server.close());
    const base = `http://127.0.0.1:${server.port}`;
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.match(body, /workqueue_adds_total\{name="q"\} 1/);
    assert.match(body, /workqueue_depth\{name="q"\} 0/);
    assert.match(body, /workqueue_unfinished_work_seconds\{name="q"\} 2.5/);
    assert.match(body, /workqueue_longest_running_processor_seconds\{name="q"\} 2.5/);
    assert.equal((await fetch(`${base}/healthz?verbose`)).status, 200);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    assert.equal((await fetch(`${base}/healthz`, { method: 'POST' })).status, 405);
  });
});
