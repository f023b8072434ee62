import { stringify } from 'yaml';

/** YAML for Kubernetes objects: no anchors or aliases (kubectl users read it), no folding. */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}
