// CRD generation: the openAPIV3Schema of every kind comes from its Zod schema. Zod's JSON
// Schema is turned into a Kubernetes *structural* schema: no $ref, every node typed (or marked
// int-or-string / preserve-unknown-fields), no additionalProperties next to properties.
import { z } from 'zod';
import { toYaml } from '../util/yaml.ts';
import { RESOURCES, type ResourceDefinition } from './resources.ts';

export type JsonSchema = { [key: string]: unknown };

const DROPPED_KEYS = new Set(['$schema', 'definitions', '$defs', 'id', '$id', 'nullable']);

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rewrites one JSON Schema node (and its children) into structural form. */
export function toStructural(node: JsonSchema): JsonSchema {
  if (node['x-kubernetes-int-or-string'] === true) {
    return pick(node, ['description', 'x-kubernetes-int-or-string']);
  }
  if (node['x-kubernetes-preserve-unknown-fields'] === true && !isObject(node.properties)) {
    // Any JSON value (z.json()): no type, no alternatives, kept as written.
    const out = pick(node, ['description', 'x-kubernetes-preserve-unknown-fields']);
    if (node.type === 'object') out.type = 'object';
    return out;
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED_KEYS.has(key)) continue;
    // z.int() bounds itself to JavaScript's safe integers; Kubernetes needs no such bound.
    if (
      (key === 'minimum' || key === 'maximum') &&
      Math.abs(Number(value)) === Number.MAX_SAFE_INTEGER
    )
      continue;
    if (key === 'additionalProperties') {
      if (isObject(value) && !isObject(node.properties))
        out.additionalProperties = toStructural(value);
      continue;
    }
    if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, child]) => [name, toStructural(child as JsonSchema)]),
      );
      continue;
    }
    if (key === 'items' && isObject(value)) {
      out.items = toStructural(value);
      continue;
    }
    out[key] = value;
  }
  if (Array.isArray(out.required) && out.required.length === 0) delete out.required;
  return out;
}

function pick(node: JsonSchema, keys: string[]): JsonSchema {
  return Object.fromEntries(keys.filter((k) => k in node).map((k) => [k, node[k]]));
}

/** The structural openAPIV3Schema of one kind. */
export function openApiSchema(def: ResourceDefinition): JsonSchema {
  const json = z.toJSONSchema(def.schema, {
    io: 'input',
    target: 'openapi-3.0',
    unrepresentable: 'any',
  }) as JsonSchema;
  const schema = toStructural(json);
  // The apiserver owns apiVersion, kind and metadata; they are typed loosely as in kubebuilder.
  const properties = schema.properties as JsonSchema;
  properties.apiVersion = { type: 'string' };
  properties.kind = { type: 'string' };
  properties.metadata = { type: 'object' };
  schema.required = ['spec'];
  return schema;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: JsonSchema;
}

export function customResourceDefinition(def: ResourceDefinition): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${def.plural}.${def.group}`,
      labels: { 'app.kubernetes.io/part-of': 'nbv' },
    },
    spec: {
      group: def.group,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        ...(def.shortNames ? { shortNames: def.shortNames } : {}),
        ...(def.categories ? { categories: def.categories } : {}),
      },
      scope: def.scope,
      versions: [
        {
          name: def.version,
          served: true,
          storage: true,
          additionalPrinterColumns: def.printerColumns,
          schema: { openAPIV3Schema: openApiSchema(def) },
          subresources: { status: {} },
        },
      ],
    },
  };
}

export function allCustomResourceDefinitions(): CustomResourceDefinition[] {
  return RESOURCES.map(customResourceDefinition);
}

/** File name under config/crd/ for a CRD, as kubebuilder names them. */
export function crdFileName(crd: CustomResourceDefinition): string {
  const [plural, ...group] = crd.metadata.name.split('.');
  return `${group.join('.')}_${plural}.yaml`;
}

export function crdYaml(crd: CustomResourceDefinition): string {
  return `---\n${toYaml(crd)}`;
}
