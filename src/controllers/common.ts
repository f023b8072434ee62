// What the reconcilers share: kinds looked up by name, their own writes that the cache has not
// seen yet, status written only when it changed, and Events that never fail a pass.
import { isDeepStrictEqual } from 'node:util';
import { findResource } from '../api/resources.ts';
import {
  resourceType,
  type KubeClient,
  type KubeObject,
  type Logger,
  type ResourceType,
} from '../runtime/index.ts';

export function resourceTypeOf(kind: string): ResourceType {
  const definition = findResource(kind);
  if (!definition) throw new Error(`${kind} is not in the resource registry`);
  return resourceType(definition);
}

/** An Event a decision asks for; decisions ask only on a transition. */
export interface DecidedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** Resource versions are etcd revisions: comparable as numbers, though the API calls them opaque. */
function revision(obj: KubeObject): number {
  return Number(obj.metadata?.resourceVersion ?? 0) || 0;
}

/**
 * A reconciler's writes to its primary objects, by key: the revision of the last one. A cache
 * older than it is not acted on; the write's own watch event brings the object back.
 */
export class OwnWrites {
  readonly #client: KubeClient;
  readonly #written = new Map<string, { uid: string; revision: number }>();

  constructor(client: KubeClient) {
    this.#client = client;
  }

  /** True while `cached` is older than our last write to it. */
  behind(key: string, cached: KubeObject): boolean {
    const written = this.#written.get(key);
    return (
      written !== undefined &&
      written.uid === cached.metadata?.uid &&
      revision(cached) < written.revision
    );
  }

  remember(key: string, updated: KubeObject): void {
    this.#written.set(key, { uid: updated.metadata?.uid ?? '', revision: revision(updated) });
  }

  forget(key: string): void {
    this.#written.delete(key);
  }

  /**
   * Writes `status` (server-side apply) unless `current` has it already. True when it wrote:
   * only then has a transition happened that Events and metrics may report.
   */
  async writeStatus(
    key: string,
    current: KubeObject & { status?: unknown },
    status: object,
  ): Promise<boolean> {
    if (isDeepStrictEqual(status, current.status ?? {})) return false;
    const { name, namespace } = current.metadata ?? {};
    const updated = await this.#client.patchStatus<KubeObject & { status: unknown }>({
      apiVersion: current.apiVersion,
      kind: current.kind,
      metadata: { name, ...(namespace ? { namespace } : {}) },
      status,
    });
    this.remember(key, updated);
    return true;
  }
}

/** An Event is a courtesy: losing one must not fail the pass, which would redo the transition. */
export async function recordEvent(
  client: KubeClient,
  regarding: KubeObject,
  event: DecidedEvent,
  log: Logger,
  labels?: Record<string, string>,
): Promise<void> {
  try {
    await client.createEvent({
      regarding,
      type: event.type,
      reason: event.reason,
      note: event.message,
      ...(labels ? { labels } : {}),
    });
  } catch (err) {
    log.warn({ err, reason: event.reason }, 'could not record event');
  }
}
