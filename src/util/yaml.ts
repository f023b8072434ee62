import { stringify } from 'yaml';

/**
 * YAML for Kubernetes objects: no anchors or aliases (kubectl users read it), no folding, and
 * YAML 1.1 quoting, because kubectl parses YAML 1.1, where an unquoted `yes`, `on` or `n` is a
 * boolean rather than the string the object holds.
 */
export function toYaml(value: unknown): string {
  return stringify(value, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false });
}
