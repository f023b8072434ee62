import type { V1OwnerReference } from '@kubernetes/client-node';

export interface OwnerObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; uid?: string };
}

/** The controller owner reference that lets garbage collection delete children with their owner. */
export function controllerReference(owner: OwnerObject): V1OwnerReference {
  const { apiVersion, kind } = owner;
  const { name, uid } = owner.metadata ?? {};
  if (!apiVersion || !kind || !name || !uid) {
    throw new Error('an owner needs apiVersion, kind, metadata.name and metadata.uid');
  }
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true };
}

/** The owner references of a child: none while the owner has no uid (it is not in a cluster yet). */
export function ownerReferences(owner: OwnerObject): { ownerReferences?: V1OwnerReference[] } {
  return owner.metadata?.uid ? { ownerReferences: [controllerReference(owner)] } : {};
}
