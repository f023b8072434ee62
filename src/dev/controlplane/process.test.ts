import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Component, assertPortFree, freePorts, isAlive, waitUntilReady } from './process.ts';

const logDir = mkdtempSync(join(tmpdir(), 'nbv-process-'));
after(() => rmSync(logDir, { recursive: true, force: true }));

describe('control-plane processes', () => {
  it('reports a component that dies while starting, with the tail of its log', async () => {
    const component = new Component(
      'fake-apiserver',
      '/bin/sh',
      ['-c', 'echo "E0101 flag provided but not defined: -bogus"; exit 3'],
      join(logDir, 'fake.log'),
    );
    await assert.rejects(
      waitUntilReady(component, 'ready', async () => false),
      (err: Error) => {
        assert.match(err.message, /^start fake-apiserver: fake-apiserver exited with code 3/);
        assert.match(err.message, /flag provided but not defined: -bogus/);
        return true;
      },
    );
  });

  it('stops a component with SIGTERM and does not call that a crash', async () => {
    const component = new Component('sleeper', '/bin/sleep', ['60'], join(logDir, 'sleep.log'));
    assert.ok(isAlive(component.pid));
    await component.stop();
    assert.equal(component.exitStatus?.signal, 'SIGTERM');
    assert.equal(component.crashed, false);
    assert.equal(isAlive(component.pid), false);
  });

  it('finds distinct free ports and names the step when a port is taken', async () => {
    const ports = await freePorts(['a', 'b', 'c'] as const);
    assert.equal(new Set(Object.values(ports)).size, 3);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(ports.a, '127.0.0.1', resolve));
    try {
      await assert.rejects(
        assertPortFree(ports.a, 'start kube-apiserver'),
        new RegExp(
          `^ControlPlaneError: start kube-apiserver: port 127.0.0.1:${ports.a} is already in use$`,
        ),
      );
    } finally {
      server.close();
    }
  });
});
