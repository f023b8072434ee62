// Deterministic names for child objects: the same input always gives the same name, and a
// name never exceeds Kubernetes' limits (long prefixes are cut and keep a hash of the whole).
import { createHash } from 'node:crypto';

export function shortHash(text: string, length = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** `prefix` + `suffix`, at most `max` characters, a valid DNS label when both parts are. */
export function boundedName(prefix: string, suffix: string, max = 63): string {
  const full = `${prefix}${suffix}`;
  if (full.length <= max) return full;
  const hash = shortHash(full, 8);
  const room = max - suffix.length - hash.length - 1;
  return `${prefix.slice(0, room).replace(/[-.]+$/, '')}-${hash}${suffix}`;
}
