// An informer's cache: objects by "namespace/name" key, with secondary indexes (by default the
// UIDs of an object's owners, to answer "the pods owned by job X" without scanning).
import { keyOf, objectKey, type KubeObject } from './kube.ts';

/** The values an object is indexed under (none to leave it out). */
export type IndexFunc = (obj: KubeObject) => string[];

export const OWNER_INDEX = 'owner';

export const ownerUidIndex: IndexFunc = (obj) =>
  (obj.metadata?.ownerReferences ?? []).flatMap((ref) => {
    const uid = (ref as { uid?: unknown }).uid;
    return typeof uid === 'string' ? [uid] : [];
  });

export class Store<T extends KubeObject> {
  #objects = new Map<string, T>();
  #indexers: Map<string, IndexFunc>;
  #indexes = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc> = {}) {
    this.#indexers = new Map(Object.entries({ [OWNER_INDEX]: ownerUidIndex, ...indexers }));
    for (const name of this.#indexers.keys()) this.#indexes.set(name, new Map());
  }

  get size(): number {
    return this.#objects.size;
  }

  get(key: string): T | undefined {
    return this.#objects.get(key);
  }

  getByName(name: string, namespace?: string): T | undefined {
    return this.#objects.get(keyOf({ name, namespace }));
  }

  keys(): IterableIterator<string> {
    return this.#objects.keys();
  }

  values(): IterableIterator<T> {
    return this.#objects.values();
  }

  list(): T[] {
    return [...this.#objects.values()];
  }

  /** Objects whose `index` function returned `value`; e.g. byIndex(OWNER_INDEX, job uid). */
  byIndex(index: string, value: string): T[] {
    const keys = this.#indexes.get(index);
    if (!keys) throw new Error(`no index named ${index}`);
    return [...(keys.get(value) ?? [])].flatMap((key) => {
      const obj = this.#objects.get(key);
      return obj ? [obj] : [];
    });
  }

  /** Stores `obj`; returns what it replaced. */
  upsert(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.#objects.get(key);
    if (old) this.#unindex(key, old);
    this.#objects.set(key, obj);
    this.#index(key, obj);
    return old;
  }

  delete(key: string): T | undefined {
    const old = this.#objects.get(key);
    if (!old) return undefined;
    this.#unindex(key, old);
    this.#objects.delete(key);
    return old;
  }

  #index(key: string, obj: T): void {
    for (const [name, fn] of this.#indexers) {
      const index = this.#indexes.get(name);
      if (!index) continue;
      for (const value of fn(obj)) {
        let keys = index.get(value);
        if (!keys) index.set(value, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  #unindex(key: string, obj: T): void {
    for (const [name, fn] of this.#indexers) {
      const index = this.#indexes.get(name);
      for (const value of fn(obj)) {
        const keys = index?.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index?.delete(value);
      }
    }
  }
}
