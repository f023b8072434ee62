import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admit } from './admission.ts';

type Json = Record<string, unknown>;

function job(spec: Json = {}, podConfig: Json = {}): Json {
  return {
    apiVersion: 'mlops.mlops.dev/v1alpha1',
    kind: 'NotebookValidationJob',
    metadata: { name: 'sample', namespace: 'default' },
    spec: {
      notebook: {
        git: { url: 'https://example.com/org/repo.git', ref: 'main' },
        path: 'nb/hello.ipynb',
      },
      podConfig: { containerImage: 'quay.io/jupyter/minimal-notebook:latest', ...podConfig },
      ...spec,
    },
  };
}

const withVolumes = (volumes: Json[], volumeMounts: Json[] = []) =>
  job({}, { volumes, volumeMounts });
const pvc = (name: string, claimName = 'claim') => ({ name, persistentVolumeClaim: { claimName } });
const git = (over: Json) =>
  job({
    notebook: { git: { url: 'https://example.com/r.git', ref: 'main', ...over }, path: 'a.ipynb' },
  });
const path = (p: string) =>
  job({ notebook: { git: { url: 'https://example.com/r.git', ref: 'main' }, path: p } });
const model = (kind: string, storageUri: string, namespace?: string): Json => ({
  apiVersion: 'ome.io/v1beta1',
  kind,
  metadata: { name: 'm', ...(namespace ? { namespace } : {}) },
  spec: { storage: { storageUri } },
});

/** [description, manifest, expected field path, reason pattern] */
const invalid: [string, unknown, string, RegExp][] = [
  // ADR-053 volumes
  [
    'volume name not a DNS label',
    withVolumes([pvc('Model_Out')], [{ name: 'Model_Out', mountPath: '/m' }]),
    'spec.podConfig.volumes[0].name',
    /DNS label/,
  ],
  [
    'volume name over 63 characters',
    withVolumes([pvc('a'.repeat(64))]),
    'spec.podConfig.volumes[0].name',
    /at most 63/,
  ],
  [
    'volume with no source',
    withVolumes([{ name: 'v' }], [{ name: 'v', mountPath: '/v' }]),
    'spec.podConfig.volumes[0]',
    /exactly one source/,
  ],
  [
    'volume with two sources',
    withVolumes(
      [{ name: 'v', emptyDir: {}, persistentVolumeClaim: { claimName: 'c' } }],
      [{ name: 'v', mountPath: '/v' }],
    ),
    'spec.podConfig.volumes[0]',
    /2 sources/,
  ],
  [
    'hostPath volume',
    withVolumes([{ name: 'v', hostPath: { path: '/etc' } }]),
    'spec.podConfig.volumes[0].hostPath',
    /hostPath.*never allowed/,
  ],
  [
    'nfs volume',
    withVolumes([{ name: 'v', nfs: { server: 's', path: '/' } }]),
    'spec.podConfig.volumes[0].nfs',
    /"nfs" is not supported/,
  ],
  [
    'duplicate volume names',
    withVolumes([pvc('v'), pvc('v', 'other')], [{ name: 'v', mountPath: '/v' }]),
    'spec.podConfig.volumes[1].name',
    /duplicate volume name/,
  ],
  [
    'reserved name workspace',
    withVolumes([pvc('workspace')], [{ name: 'workspace', mountPath: '/w' }]),
    'spec.podConfig.volumes[0].name',
    /reserved/,
  ],
  [
    'reserved name git-clone',
    withVolumes([pvc('git-clone')], [{ name: 'git-clone', mountPath: '/g' }]),
    'spec.podConfig.volumes[0].name',
    /reserved/,
  ],
  [
    'reserved name notebook-data',
    withVolumes([pvc('notebook-data')], [{ name: 'notebook-data', mountPath: '/g' }]),
    'spec.podConfig.volumes[0].name',
    /reserved/,
  ],
  [
    'reserved name source',
    withVolumes([pvc('source')], [{ name: 'source', mountPath: '/g' }]),
    'spec.podConfig.volumes[0].name',
    /reserved/,
  ],
  [
    'reserved name jovyan-home',
    withVolumes([pvc('jovyan-home')], [{ name: 'jovyan-home', mountPath: '/g' }]),
    'spec.podConfig.volumes[0].name',
    /reserved/,
  ],
  [
    'mount of an undefined volume',
    withVolumes(
      [pvc('v')],
      [
        { name: 'v', mountPath: '/v' },
        { name: 'nope', mountPath: '/n' },
      ],
    ),
    'spec.podConfig.volumeMounts[1].name',
    /no volume named "nope"/,
  ],
  [
    'relative mountPath',
    withVolumes([pvc('v')], [{ name: 'v', mountPath: 'models' }]),
    'spec.podConfig.volumeMounts[0].mountPath',
    /absolute/,
  ],
  [
    'duplicate mountPath',
    withVolumes(
      [pvc('v'), pvc('w')],
      [
        { name: 'v', mountPath: '/m' },
        { name: 'w', mountPath: '/m/' },
      ],
    ),
    'spec.podConfig.volumeMounts[1].mountPath',
    /duplicate mountPath/,
  ],
  [
    'mountPath /workspace',
    withVolumes([pvc('v')], [{ name: 'v', mountPath: '/workspace' }]),
    'spec.podConfig.volumeMounts[0].mountPath',
    /inside \/workspace/,
  ],
  [
    'mountPath under /workspace',
    withVolumes([pvc('v')], [{ name: 'v', mountPath: '/workspace/repo/x' }]),
    'spec.podConfig.volumeMounts[0].mountPath',
    /inside \/workspace/,
  ],
  [
    'mountPath /',
    withVolumes([pvc('v')], [{ name: 'v', mountPath: '/' }]),
    'spec.podConfig.volumeMounts[0].mountPath',
    /must not be "\/"/,
  ],
  [
    'mountPath with ..',
    withVolumes([pvc('v')], [{ name: 'v', mountPath: '/a/../etc' }]),
    'spec.podConfig.volumeMounts[0].mountPath',
    /\.\./,
  ],
  [
    'absolute subPath',
    withVolumes([pvc('v')], [{ name: 'v', mountPath: '/m', subPath: '/abs' }]),
    'spec.podConfig.volumeMounts[0].subPath',
    /relative/,
  ],
  [
    'subPath with ..',
    withVolumes([pvc('v')], [{ name: 'v', mountPath: '/m', subPath: 'a/../../b' }]),
    'spec.podConfig.volumeMounts[0].subPath',
    /\.\./,
  ],
  [
    'configMap item path absolute',
    withVolumes(
      [{ name: 'c', configMap: { name: 'cm', items: [{ key: 'k', path: '/etc/x' }] } }],
      [{ name: 'c', mountPath: '/c' }],
    ),
    'spec.podConfig.volumes[0].configMap.items[0].path',
    /relative/,
  ],
  [
    'secret item path with ..',
    withVolumes(
      [{ name: 's', secret: { secretName: 'sec', items: [{ key: 'k', path: 'a/../../x' }] } }],
      [{ name: 's', mountPath: '/s' }],
    ),
    'spec.podConfig.volumes[0].secret.items[0].path',
    /\.\./,
  ],
  [
    'defaultMode over 0777',
    withVolumes(
      [{ name: 's', secret: { secretName: 'sec', defaultMode: 1000 } }],
      [{ name: 's', mountPath: '/s' }],
    ),
    'spec.podConfig.volumes[0].secret.defaultMode',
    /0777/,
  ],
  [
    'negative item mode',
    withVolumes(
      [{ name: 'c', configMap: { name: 'cm', items: [{ key: 'k', path: 'p', mode: -1 }] } }],
      [{ name: 'c', mountPath: '/c' }],
    ),
    'spec.podConfig.volumes[0].configMap.items[0].mode',
    /0777/,
  ],
  [
    'emptyDir medium HugePages',
    withVolumes(
      [{ name: 'e', emptyDir: { medium: 'HugePages' } }],
      [{ name: 'e', mountPath: '/e' }],
    ),
    'spec.podConfig.volumes[0].emptyDir.medium',
    /one of "", "Memory"/,
  ],
  [
    'emptyDir sizeLimit not a quantity',
    withVolumes(
      [{ name: 'e', emptyDir: { sizeLimit: 'ten gigs' } }],
      [{ name: 'e', mountPath: '/e' }],
    ),
    'spec.podConfig.volumes[0].emptyDir.sizeLimit',
    /quantity/,
  ],
  [
    'claimName not a valid name',
    withVolumes([pvc('v', 'My_Claim')], [{ name: 'v', mountPath: '/v' }]),
    'spec.podConfig.volumes[0].persistentVolumeClaim.claimName',
    /valid object name/,
  ],
  [
    'configMap name not valid',
    withVolumes([{ name: 'c', configMap: { name: 'Bad Name' } }], [{ name: 'c', mountPath: '/c' }]),
    'spec.podConfig.volumes[0].configMap.name',
    /valid object name/,
  ],
  [
    'secretName not valid',
    withVolumes([{ name: 's', secret: { secretName: 'UPPER' } }], [{ name: 's', mountPath: '/s' }]),
    'spec.podConfig.volumes[0].secret.secretName',
    /valid object name/,
  ],
  [
    'empty claimName',
    withVolumes([{ name: 'v', persistentVolumeClaim: { claimName: '' } }]),
    'spec.podConfig.volumes[0].persistentVolumeClaim.claimName',
    /.+/,
  ],
  // git
  [
    'git url with ftp scheme',
    git({ url: 'ftp://example.com/r.git' }),
    'spec.notebook.git.url',
    /https/,
  ],
  [
    'git url without host',
    git({ url: 'https:///r.git' }),
    'spec.notebook.git.url',
    /host|valid URL/,
  ],
  [
    'git url with a password',
    git({ url: 'https://user:token@example.com/r.git' }),
    'spec.notebook.git.url',
    /credentials/,
  ],
  [
    'scp-like url without path',
    git({ url: 'git@example.com' }),
    'spec.notebook.git.url',
    /git@host:path/,
  ],
  [
    'ref with leading dash',
    git({ ref: '--upload-pack=evil' }),
    'spec.notebook.git.ref',
    /must not start with "-"/,
  ],
  ['ref with whitespace', git({ ref: 'main branch' }), 'spec.notebook.git.ref', /whitespace/],
  ['ref with control character', git({ ref: 'main\u0007' }), 'spec.notebook.git.ref', /control/],
  ['ref with ..', git({ ref: 'a..b' }), 'spec.notebook.git.ref', /\.\./],
  ['empty ref', git({ ref: '' }), 'spec.notebook.git.ref', /empty/],
  [
    'credentialsSecret not a valid name',
    git({ credentialsSecret: 'Git Creds' }),
    'spec.notebook.git.credentialsSecret',
    /Secret name/,
  ],
  ['notebook path absolute', path('/etc/passwd.ipynb'), 'spec.notebook.path', /relative/],
  ['notebook path with ..', path('../other/x.ipynb'), 'spec.notebook.path', /\.\./],
  ['notebook path not .ipynb', path('notebook.py'), 'spec.notebook.path', /\.ipynb/],
  [
    'golden path with ..',
    job({
      goldenNotebook: {
        git: { url: 'https://example.com/g.git', ref: 'v1' },
        path: 'a/../../g.ipynb',
      },
    }),
    'spec.goldenNotebook.path',
    /\.\./,
  ],
  [
    'golden ref with leading dash',
    job({
      goldenNotebook: { git: { url: 'https://example.com/g.git', ref: '-x' }, path: 'g.ipynb' },
    }),
    'spec.goldenNotebook.git.ref',
    /"-"/,
  ],
  // timeouts, tolerances, types
  ['timeout not a duration', job({ timeout: '30 minutes' }), 'spec.timeout', /duration/],
  ['timeout as a number', job({ timeout: 30 }), 'spec.timeout', /must be a string/],
  ['timeout zero', job({ timeout: '0s' }), 'spec.timeout', /at least 1s/],
  [
    'tolerance not numeric',
    job({ comparisonConfig: { floatingPointTolerance: 'tiny' } }),
    'spec.comparisonConfig.floatingPointTolerance',
    /number/,
  ],
  [
    'tolerance negative',
    job({ comparisonConfig: { floatingPointTolerance: '-0.1' } }),
    'spec.comparisonConfig.floatingPointTolerance',
    /non-negative/,
  ],
  [
    'unknown comparison strategy',
    job({ comparisonConfig: { strategy: 'fuzzy' } }),
    'spec.comparisonConfig.strategy',
    /one of "exact", "normalized"/,
  ],
  [
    'custom timestamp pattern not a regex',
    job({ comparisonConfig: { customTimestampPatterns: ['(unclosed'] } }),
    'spec.comparisonConfig.customTimestampPatterns[0]',
    /regular expression/,
  ],
  [
    'expected output min above max',
    job({ validationConfig: { expectedOutputs: [{ cell: 1, minValue: '5', maxValue: '1' }] } }),
    'spec.validationConfig.expectedOutputs[0].minValue',
    /greater than maxValue/,
  ],
  [
    'expected output negative cell',
    job({ validationConfig: { expectedOutputs: [{ cell: -1 }] } }),
    'spec.validationConfig.expectedOutputs[0].cell',
    /.+/,
  ],
  [
    'parameter name not an identifier',
    job({
      notebook: {
        git: { url: 'https://example.com/r.git', ref: 'main' },
        path: 'a.ipynb',
        parameters: { 'learning-rate': 0.1 },
      },
    }),
    'spec.notebook.parameters.learning-rate',
    /Python identifiers/,
  ],
  [
    'missing containerImage',
    job({}, { containerImage: undefined }),
    'spec.podConfig.containerImage',
    /required/,
  ],
  [
    'missing notebook',
    { ...job(), spec: { podConfig: { containerImage: 'x' } } },
    'spec.notebook',
    /required/,
  ],
  ['podConfig as a list', job({ podConfig: [] }), 'spec.podConfig', /must be an object/],
  ['unknown field in spec', job({ notebok: {} }), 'spec.notebok', /unknown field/],
  [
    'env with value and valueFrom',
    job(
      {},
      { env: [{ name: 'A', value: 'x', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] },
    ),
    'spec.podConfig.env[0]',
    /not both/,
  ],
  [
    'env name invalid',
    job({}, { env: [{ name: '1 bad' }] }),
    'spec.podConfig.env[0].name',
    /environment variable/,
  ],
  [
    'envFrom with both refs',
    job({}, { envFrom: [{ configMapRef: { name: 'a' }, secretRef: { name: 'b' } }] }),
    'spec.podConfig.envFrom[0]',
    /exactly one/,
  ],
  [
    'toleration Exists with value',
    job({}, { tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }] }),
    'spec.podConfig.tolerations[0].value',
    /Exists/,
  ],
  [
    'resource quantity invalid',
    job({}, { resources: { limits: { memory: 'lots' } } }),
    'spec.podConfig.resources.limits.memory',
    /quantity/,
  ],
  [
    'affinity weight out of range',
    job(
      {},
      {
        affinity: {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: {} }],
          },
        },
      },
    ),
    'spec.podConfig.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight',
    /.+/,
  ],
  // object level
  ['missing name', { ...job(), metadata: {} }, 'metadata.name', /required/],
  [
    'name not a DNS subdomain',
    { ...job(), metadata: { name: 'Bad_Name' } },
    'metadata.name',
    /DNS subdomain/,
  ],
  [
    'wrong apiVersion',
    { ...job(), apiVersion: 'mlops.mlops.dev/v1' },
    'apiVersion',
    /must be mlops.mlops.dev\/v1alpha1/,
  ],
  [
    'unknown kind in an nbv group',
    { ...job(), kind: 'NotebookJob' },
    'kind',
    /unknown kind "NotebookJob"/,
  ],
  ['missing kind', { apiVersion: 'ome.io/v1beta1', metadata: { name: 'x' } }, 'kind', /required/],
  // models and services
  [
    'BaseModel URI naming a namespace',
    model('BaseModel', 'pvc://ns:claim/m', 'default'),
    'spec.storage.storageUri',
    /BaseModel uses the claim in its own namespace/,
  ],
  [
    'ClusterBaseModel URI without namespace',
    model('ClusterBaseModel', 'pvc://claim/m'),
    'spec.storage.storageUri',
    /must name the claim's namespace/,
  ],
  [
    'BaseModel URI without sub-path',
    model('BaseModel', 'pvc://claim', 'default'),
    'spec.storage.storageUri',
    /^invalid PVC storage URI format: .*no sub-path/,
  ],
  [
    'ClusterBaseModel URI with ..',
    model('ClusterBaseModel', 'pvc://ns:claim/a/../b'),
    'spec.storage.storageUri',
    /"\.\."/,
  ],
  [
    'ClusterBaseModel with a namespace',
    model('ClusterBaseModel', 'pvc://ns:claim/m', 'default'),
    'metadata.namespace',
    /cluster-scoped/,
  ],
  [
    'BaseModel without storage',
    { ...model('BaseModel', 'pvc://c/m', 'default'), spec: {} },
    'spec.storage',
    /required/,
  ],
  [
    'InferenceService without model',
    { apiVersion: 'ome.io/v1beta1', kind: 'InferenceService', metadata: { name: 's' }, spec: {} },
    'spec.model',
    /required/,
  ],
  [
    'InferenceService with empty model name',
    {
      apiVersion: 'ome.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 's' },
      spec: { model: { name: '' } },
    },
    'spec.model.name',
    /must name a BaseModel/,
  ],
  [
    'InferenceService model kind unknown',
    {
      apiVersion: 'ome.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 's' },
      spec: { model: { name: 'm', kind: 'Model' } },
    },
    'spec.model.kind',
    /BaseModel/,
  ],
  [
    'runtime size range inverted',
    {
      apiVersion: 'ome.io/v1beta1',
      kind: 'ServingRuntime',
      metadata: { name: 'r' },
      spec: { modelSizeRange: { min: '8B', max: '1B' } },
    },
    'spec.modelSizeRange.min',
    /greater than max/,
  ],
  [
    'runtime size not a size',
    {
      apiVersion: 'ome.io/v1beta1',
      kind: 'ClusterServingRuntime',
      metadata: { name: 'r' },
      spec: { modelSizeRange: { max: 'big' } },
    },
    'spec.modelSizeRange.max',
    /parameter size/,
  ],
];

describe('admission rejects invalid manifests with the field path', () => {
  it(`has at least 40 cases (${invalid.length})`, () => assert.ok(invalid.length >= 40));
  for (const [description, manifest, field, reason] of invalid) {
    it(description, () => {
      const outcome = admit(manifest);
      const errors = outcome.problems.filter((p) => p.severity === 'error');
      assert.equal(outcome.object, undefined, 'an invalid object must not be admitted');
      const match = errors.find((p) => p.field === field);
      assert.ok(match, `expected an error at ${field}; got ${JSON.stringify(errors)}`);
      assert.match(match.reason, reason);
    });
  }
});

describe('admission of valid manifests', () => {
  it('defaults the spec and merges credentials into envFrom once', () => {
    const outcome = admit(
      job({}, { credentials: ['aws', 'db'], envFrom: [{ secretRef: { name: 'aws' } }] }),
    );
    assert.deepEqual(outcome.problems, []);
    const spec = (outcome.object as { spec: Json & { podConfig: Json } }).spec;
    assert.equal(spec.timeout, '30m');
    assert.equal(spec.podConfig.serviceAccountName, 'default');
    assert.deepEqual(spec.podConfig.envFrom, [
      { secretRef: { name: 'aws' } },
      { secretRef: { name: 'db' } },
    ]);
    assert.deepEqual(spec.podConfig.credentials, ['aws', 'db'], 'the shorthand stays as written');
  });

  it('fills comparisonConfig defaults', () => {
    const outcome = admit(
      job({
        goldenNotebook: {
          git: { url: 'git@example.com:o/g.git', ref: 'a1b2c3d' },
          path: 'g.ipynb',
        },
        comparisonConfig: {},
      }),
    );
    assert.deepEqual(outcome.problems, []);
    assert.deepEqual((outcome.object as { spec: Json }).spec.comparisonConfig, {
      strategy: 'normalized',
      floatingPointTolerance: '0.0001',
      ignoreTimestamps: true,
      ignoreExecutionCount: true,
    });
  });

  it('warns, without error, for fields nbv does not implement', () => {
    const outcome = admit(
      job(
        { modelValidation: { platform: 'kserve' }, validationConfig: { level: 'production' } },
        { buildConfig: { enabled: true } },
      ),
    );
    assert.ok(outcome.object);
    assert.deepEqual(
      outcome.problems.map((p) => [p.severity, p.field]),
      [
        ['warning', 'spec.podConfig.buildConfig.enabled'],
        ['warning', 'spec.modelValidation'],
        ['warning', 'spec.validationConfig.level'],
      ],
    );
  });

  it('does not warn for defaults the user did not write', () => {
    const outcome = admit(
      job({ validationConfig: { failOnStderr: true } }, { buildConfig: { enabled: false } }),
    );
    assert.deepEqual(outcome.problems, []);
  });

  it('accepts every volume source with mounts', () => {
    const outcome = admit(
      withVolumes(
        [
          pvc('data'),
          {
            name: 'cfg',
            configMap: { name: 'cfg', items: [{ key: 'a', path: 'a.yaml', mode: 0o644 }] },
          },
          { name: 'certs', secret: { secretName: 'certs', defaultMode: 0o400 } },
          { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
        ],
        [
          { name: 'data', mountPath: '/data', subPath: 'train', readOnly: true },
          { name: 'cfg', mountPath: '/config' },
          { name: 'certs', mountPath: '/certs', readOnly: true },
          { name: 'scratch', mountPath: '/tmp/scratch' },
        ],
      ),
    );
    assert.deepEqual(outcome.problems, []);
  });

  it('warns about a volume nothing mounts', () => {
    const outcome = admit(withVolumes([pvc('unused')]));
    assert.ok(outcome.object);
    assert.deepEqual(
      outcome.problems.map((p) => p.field),
      ['spec.podConfig.volumes[0]'],
    );
  });

  it('accepts commit SHAs, tags and scp-like URLs', () => {
    for (const ref of ['0123456789abcdef0123456789abcdef01234567', 'v1.2.3', 'feature/x']) {
      assert.deepEqual(admit(git({ ref })).problems, [], ref);
    }
    assert.deepEqual(admit(git({ url: 'git@github.com:org/repo.git' })).problems, []);
    assert.deepEqual(admit(git({ url: 'ssh://git@example.com:2222/org/repo.git' })).problems, []);
  });

  it('accepts BaseModel and ClusterBaseModel URIs in their scope', () => {
    assert.deepEqual(
      admit(model('BaseModel', 'pvc://my-pvc/path/to/results', 'default')).problems,
      [],
    );
    assert.deepEqual(
      admit(model('ClusterBaseModel', 'pvc://model-storage:shared-pvc/models/llama2-7b')).problems,
      [],
    );
  });

  it('never throws on arbitrary input', () => {
    for (const value of [
      null,
      42,
      'text',
      [],
      { kind: 5 },
      { apiVersion: 'ome.io/v1beta1', kind: 'BaseModel', spec: 'x' },
    ]) {
      const outcome = admit(value);
      assert.ok(
        outcome.problems.some((p) => p.severity === 'error'),
        JSON.stringify(value),
      );
    }
  });
});
