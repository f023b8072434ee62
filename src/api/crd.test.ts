import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { allCustomResourceDefinitions, openApiSchema, type JsonSchema } from './crd.ts';
import { generatedFiles } from './generated.ts';
import { RESOURCES } from './resources.ts';

const repoRoot = new URL('../../', import.meta.url);

/** The structural-schema rules of apiextensions.k8s.io/v1, as a list of violations. */
function structuralViolations(node: JsonSchema, path: string): string[] {
  const out: string[] = [];
  const intOrString = node['x-kubernetes-int-or-string'] === true;
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (typeof node.type !== 'string' && !intOrString && !preserve) out.push(`${path}: no type`);
  for (const key of ['$ref', 'definitions', '$defs', 'nullable', '$schema'])
    if (key in node) out.push(`${path}: has ${key}`);
  if ('additionalProperties' in node && 'properties' in node)
    out.push(`${path}: additionalProperties with properties`);
  if (node.additionalProperties === false) out.push(`${path}: additionalProperties: false`);
  if (('anyOf' in node || 'oneOf' in node) && !intOrString)
    out.push(`${path}: anyOf/oneOf outside int-or-string`);
  for (const [name, child] of Object.entries(
    (node.properties as Record<string, JsonSchema>) ?? {},
  )) {
    out.push(...structuralViolations(child, `${path}.${name}`));
  }
  if (typeof node.items === 'object')
    out.push(...structuralViolations(node.items as JsonSchema, `${path}[]`));
  if (typeof node.additionalProperties === 'object') {
    out.push(...structuralViolations(node.additionalProperties as JsonSchema, `${path}{}`));
  }
  return out;
}

function at(schema: JsonSchema, ...path: string[]): JsonSchema {
  return path.reduce(
    (node, key) =>
      key === '[]'
        ? (node.items as JsonSchema)
        : ((node.properties as Record<string, JsonSchema>)[key] as JsonSchema),
    schema,
  );
}

describe('CRDs', () => {
  it('committed config/ files are what the schemas generate (run `npm run generate`)', () => {
    for (const [path, content] of generatedFiles()) {
      const committed = readFileSync(new URL(path, repoRoot), 'utf8');
      assert.equal(committed, content, `${path} is stale: run npm run generate`);
    }
  });

  for (const def of RESOURCES) {
    it(`${def.kind} schema is structural`, () => {
      assert.deepEqual(structuralViolations(openApiSchema(def), def.kind), []);
    });
  }

  it('keeps the NotebookValidationJob names, short names and printer columns', () => {
    const crd = allCustomResourceDefinitions().find(
      (c) => c.metadata.name === 'notebookvalidationjobs.mlops.mlops.dev',
    );
    assert.ok(crd);
    const spec = crd.spec as {
      names: { shortNames: string[] };
      versions: { additionalPrinterColumns: { name: string; jsonPath: string }[] }[];
    };
    assert.deepEqual(spec.names.shortNames, ['nvj', 'nvjob']);
    assert.deepEqual(
      spec.versions[0]?.additionalPrinterColumns.map((c) => `${c.name}=${c.jsonPath}`),
      [
        'Phase=.status.phase',
        'Notebook=.spec.notebook.path',
        'Age=.metadata.creationTimestamp',
        'Message=.status.message',
      ],
    );
  });

  it("carries the existing operator's defaults, enums and patterns", () => {
    const def = RESOURCES.find((r) => r.kind === 'NotebookValidationJob');
    assert.ok(def);
    const spec = at(openApiSchema(def), 'spec');
    assert.equal(at(spec, 'timeout').default, '30m');
    assert.equal(at(spec, 'podConfig', 'serviceAccountName').default, 'default');
    assert.deepEqual(at(spec, 'comparisonConfig', 'strategy').enum, ['exact', 'normalized']);
    assert.equal(at(spec, 'comparisonConfig', 'floatingPointTolerance').default, '0.0001');
    assert.equal(at(spec, 'podConfig', 'volumes', '[]', 'name').maxLength, 63);
    assert.deepEqual(at(spec, 'podConfig', 'volumes', '[]', 'emptyDir', 'medium').enum, [
      '',
      'Memory',
    ]);
    assert.equal(at(spec, 'podConfig', 'volumes', '[]', 'secret', 'defaultMode').maximum, 511);
    assert.deepEqual(at(spec, 'notebook').required, ['git', 'path']);
    const parameterValue = at(spec, 'notebook', 'parameters').additionalProperties as JsonSchema;
    assert.equal(
      parameterValue['x-kubernetes-preserve-unknown-fields'],
      true,
      'parameters take any JSON value',
    );
    const limit = at(spec, 'podConfig', 'resources', 'limits').additionalProperties as JsonSchema;
    assert.equal(limit['x-kubernetes-int-or-string'], true, 'quantities are int-or-string');
  });
});
