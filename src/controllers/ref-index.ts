// A reverse index kept up to date by an informer's events: which objects name a given key (the
// models that use a claim, the InferenceServices that serve a model). A watch on the named kind
// then maps an event to the objects concerned without scanning the whole cache.
import type { EventHandlers, KubeObject } from '../runtime/index.ts';
import { objectKey } from '../runtime/index.ts';

export class RefIndex<T extends KubeObject> {
  readonly #keysOf: (obj: T) => readonly string[];
  /** Referenced key -> keys of the objects that reference it. */
  readonly #byRef = new Map<string, Set<string>>();
  readonly #objects = new Map<string, { refs: readonly string[]; obj: T }>();

  /** `keysOf` gives the keys an object references (none to leave it out). */
  constructor(keysOf: (obj: T) => readonly string[]) {
    this.#keysOf = keysOf;
  }

  /** Handlers to add to the informer of T before it starts. */
  handlers(): EventHandlers<T> {
    return {
      add: (obj) => this.upsert(obj),
      update: (_old, obj) => this.upsert(obj),
      delete: (obj) => this.remove(obj),
    };
  }

  /** The objects that reference `ref`, as last seen. */
  lookup(ref: string): T[] {
    return [...(this.#byRef.get(ref) ?? [])].flatMap((key) => {
      const entry = this.#objects.get(key);
      return entry ? [entry.obj] : [];
    });
  }

  upsert(obj: T): void {
    const key = objectKey(obj);
    this.#unlink(key);
    const refs = [...new Set(this.#keysOf(obj))];
    this.#objects.set(key, { refs, obj });
    for (const ref of refs) {
      let keys = this.#byRef.get(ref);
      if (!keys) this.#byRef.set(ref, (keys = new Set()));
      keys.add(key);
    }
  }

  remove(obj: T): void {
    const key = objectKey(obj);
    this.#unlink(key);
    this.#objects.delete(key);
  }

  #unlink(key: string): void {
    for (const ref of this.#objects.get(key)?.refs ?? []) {
      const keys = this.#byRef.get(ref);
      keys?.delete(key);
      if (keys?.size === 0) this.#byRef.delete(ref);
    }
  }
}
