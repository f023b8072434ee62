import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../runtime/index.ts';
import { RefIndex } from './ref-index.ts';

interface Thing extends KubeObject {
  refs: string[];
}

const thing = (name: string, refs: string[]): Thing => ({
  metadata: { name, namespace: 'ns' },
  refs,
});

describe('RefIndex', () => {
  it('follows adds, updates and deletes', () => {
    const index = new RefIndex<Thing>((t) => t.refs);
    const h = index.handlers();
    h.add?.(thing('a', ['x', 'y', 'x']));
    h.add?.(thing('b', ['x']));
    assert.deepEqual(
      index.lookup('x').map((t) => t.metadata?.name),
      ['a', 'b'],
    );
    h.update?.(thing('a', ['x', 'y']), thing('a', ['z']));
    assert.deepEqual(
      index.lookup('x').map((t) => t.metadata?.name),
      ['b'],
    );
    assert.deepEqual(index.lookup('y'), []);
    assert.deepEqual(index.lookup('z')[0]?.refs, ['z'], 'the latest object is returned');
    h.delete?.(thing('b', ['x']));
    assert.deepEqual(index.lookup('x'), []);
  });
});
