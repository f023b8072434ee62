// docs/api-reference.md, generated from the same openAPIV3Schema that the CRDs carry, so the
// reference says exactly what the apiserver enforces: one row per field with its type, default,
// description and validation (enum, pattern, bounds, list semantics).
import { openApiSchema, type JsonSchema } from './crd.ts';
import { RESOURCES, type ResourceDefinition } from './resources.ts';

interface Row {
  path: string;
  type: string;
  required: boolean;
  default?: unknown;
  description?: string;
  validation: string[];
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function childProperties(node: JsonSchema): Record<string, JsonSchema> {
  return isObject(node.properties) ? (node.properties as Record<string, JsonSchema>) : {};
}

/** A short type: `string`, `[]object`, `map[string]int-or-string`, `any`. */
function typeOf(node: JsonSchema): string {
  if (node['x-kubernetes-int-or-string'] === true) return 'int-or-string';
  if (node.type === 'array') return `[]${isObject(node.items) ? typeOf(node.items) : 'any'}`;
  if (node.type === 'object' && isObject(node.additionalProperties))
    return `map[string]${typeOf(node.additionalProperties)}`;
  if (node['x-kubernetes-preserve-unknown-fields'] === true && !isObject(node.properties))
    return node.type === 'object' ? 'object (any fields)' : 'any';
  const format = typeof node.format === 'string' ? ` (${node.format})` : '';
  return `${typeof node.type === 'string' ? node.type : 'any'}${format}`;
}

function validationOf(node: JsonSchema): string[] {
  const out: string[] = [];
  if (Array.isArray(node.enum)) out.push(`one of ${node.enum.map((v) => code(v)).join(', ')}`);
  if (typeof node.pattern === 'string') out.push(`pattern ${code(node.pattern)}`);
  const bound = (key: string, text: string) => {
    if (typeof node[key] === 'number') out.push(`${text} ${String(node[key])}`);
  };
  bound('minimum', '≥');
  bound('maximum', '≤');
  bound('minLength', 'length ≥');
  bound('maxLength', 'length ≤');
  bound('minItems', 'items ≥');
  bound('maxItems', 'items ≤');
  const listType = node['x-kubernetes-list-type'];
  if (typeof listType === 'string') {
    const keys = node['x-kubernetes-list-map-keys'];
    out.push(
      Array.isArray(keys)
        ? `list ${listType} by ${keys.map((k) => code(k)).join(', ')}`
        : `list ${listType}`,
    );
  }
  if (typeof node['x-kubernetes-map-type'] === 'string')
    out.push(`map ${String(node['x-kubernetes-map-type'])}`);
  const rules = node['x-kubernetes-validations'];
  if (Array.isArray(rules)) {
    for (const rule of rules as { rule?: string; message?: string }[])
      out.push(rule.message ? `${rule.message} (${code(rule.rule)})` : `rule ${code(rule.rule)}`);
  }
  return out;
}

function code(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  // A backtick inside would end the code span; Markdown allows a longer fence around it.
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function rows(node: JsonSchema, path: string, required: boolean, out: Row[]): void {
  out.push({
    path,
    type: typeOf(node),
    required,
    ...('default' in node ? { default: node.default } : {}),
    ...(typeof node.description === 'string' ? { description: node.description } : {}),
    validation: validationOf(node),
  });
  descend(node, path, out);
}

function descend(node: JsonSchema, path: string, out: Row[]): void {
  const requiredNames = new Set(Array.isArray(node.required) ? (node.required as string[]) : []);
  for (const [name, child] of Object.entries(childProperties(node)))
    rows(child, `${path}.${name}`, requiredNames.has(name), out);
  if (isObject(node.items)) descend(node.items, `${path}[]`, out);
  if (isObject(node.additionalProperties)) descend(node.additionalProperties, `${path}{}`, out);
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function kindSection(def: ResourceDefinition): string {
  const schema = openApiSchema(def);
  const table: Row[] = [];
  for (const top of ['spec', 'status']) {
    const node = childProperties(schema)[top];
    if (node) rows(node, top, top === 'spec', table);
  }
  const lines = [
    `## ${def.kind}`,
    '',
    `\`${def.group}/${def.version}\`, ${def.scope === 'Namespaced' ? 'namespaced' : 'cluster-scoped'}; ` +
      `plural \`${def.plural}\`` +
      (def.shortNames?.length
        ? `, short names ${def.shortNames.map((s) => `\`${s}\``).join(', ')}`
        : '') +
      '.',
    '',
    '| Field | Type | Required | Default | Description | Validation |',
    '| --- | --- | --- | --- | --- | --- |',
    ...table.map((r) =>
      [
        '',
        `\`${r.path}\``,
        cell(r.type),
        r.required ? 'yes' : '',
        r.default === undefined ? '' : cell(code(r.default)),
        cell(r.description ?? ''),
        cell(r.validation.join('; ')),
        '',
      ]
        .join(' | ')
        .trim(),
    ),
    '',
  ];
  return lines.join('\n');
}

/** The whole reference, one section per kind in RESOURCES order. */
export function apiReferenceMarkdown(): string {
  const toc = RESOURCES.map(
    (def) => `- [${def.kind}](#${def.kind.toLowerCase()}) (\`${def.group}/${def.version}\`)`,
  );
  return [
    '# API reference',
    '',
    '<!-- Generated by `npm run generate` from the Zod schemas in src/api/ (via the CRD',
    '     openAPIV3Schema); do not edit. A test fails when this file is stale. -->',
    '',
    'Every field of the custom resources nbv serves, as the apiserver validates them. `[]` marks',
    'the items of a list and `{}` the values of a map. Defaults are filled in by the apiserver.',
    '',
    ...toc,
    '',
    ...RESOURCES.map(kindSection),
  ].join('\n');
}
