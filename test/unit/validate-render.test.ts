import assert from 'node:assert/strict';
import { globSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { nbv } from '../notebook/helpers.ts';

interface RenderedContainer {
  name: string;
  volumeMounts: { name: string }[];
  securityContext: {
    runAsNonRoot: boolean;
    allowPrivilegeEscalation: boolean;
    capabilities: { drop: string[] };
    seccompProfile: { type: string };
  };
}
interface RenderedPod {
  kind: string;
  spec: {
    volumes: unknown[];
    initContainers: RenderedContainer[];
    containers: RenderedContainer[];
  };
}

const samples = globSync('../shared/reference/nvj-operator/samples/**/*.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'nbv-cli-'));
function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

describe('nbv validate', () => {
  it('accepts every NotebookValidationJob sample of the existing operator, with warnings only', async () => {
    assert.ok(samples.length >= 30, `found ${samples.length} samples`);
    const result = await nbv(['validate', ...samples]);
    assert.equal(result.code, 0, result.stdout);
    const jobs = samples
      .flatMap((s) =>
        parseAllDocuments(readFileSync(s, 'utf8')).map((d) => d.toJS() as { kind?: string } | null),
      )
      .filter((o) => o?.kind === 'NotebookValidationJob');
    assert.match(
      result.stderr,
      new RegExp(`^${jobs.length} object\\(s\\) checked, 0 error\\(s\\)`, 'm'),
    );
    const problemLines = result.stdout.split('\n').filter((l) => l && !l.includes(': skipped ('));
    for (const line of problemLines) assert.match(line, /: warning: /, line);
    assert.match(result.stdout, /Secret\/git-https-credentials: skipped/);
    assert.match(
      result.stdout,
      /InferenceService\/fraud-detection-model: skipped \(serving.kserve.io\/v1beta1/,
    );
  });

  it('reports one FILE: KIND/NAME: FIELD: REASON line per problem and exits 1', async () => {
    const path = file(
      'bad.yaml',
      `apiVersion: mlops.mlops.dev/v1alpha1
kind: NotebookValidationJob
metadata: {name: bad}
spec:
  notebook: {git: {url: "ftp://x/r.git", ref: main}, path: a.ipynb}
  podConfig:
    containerImage: img
    volumes: [{name: data, hostPath: {path: /}}]
`,
    );
    const result = await nbv(['validate', path]);
    assert.equal(result.code, 1);
    assert.deepEqual(result.stdout.trim().split('\n').sort(), [
      `${path}: NotebookValidationJob/bad: spec.notebook.git.url: must be an https://, http://, ssh://, git:// or git@host: URL`,
      `${path}: NotebookValidationJob/bad: spec.podConfig.volumes[0].hostPath: hostPath volumes expose the node's filesystem and are never allowed; use one of persistentVolumeClaim, configMap, secret, emptyDir`,
    ]);
  });

  const badInputs: [string, string, RegExp][] = [
    ['malformed YAML', 'kind: [unclosed\n', /:\d+:\d+: malformed YAML: Flow sequence/],
    [
      'unknown kind',
      'apiVersion: mlops.mlops.dev/v1alpha1\nkind: Notebook\nmetadata: {name: x}\n',
      /Notebook\/x: kind: unknown kind "Notebook"/,
    ],
    [
      'wrong apiVersion',
      'apiVersion: ome.io/v1\nkind: BaseModel\nmetadata: {name: x}\nspec: {storage: {storageUri: pvc://c/m}}\n',
      /BaseModel\/x: apiVersion: must be ome.io\/v1beta1/,
    ],
    [
      'missing required field',
      'apiVersion: ome.io/v1beta1\nkind: BaseModel\nmetadata: {name: x}\nspec: {}\n',
      /BaseModel\/x: spec.storage: required field is missing/,
    ],
    [
      'wrong type',
      'apiVersion: ome.io/v1beta1\nkind: BaseModel\nmetadata: {name: x}\nspec: {maxTokens: "many", storage: {storageUri: pvc://c/m}}\n',
      /spec.maxTokens: must be a number \(got the string "many"\)/,
    ],
    [
      'duplicate keys',
      'apiVersion: ome.io/v1beta1\napiVersion: ome.io/v1beta1\n',
      /malformed YAML: .*[Uu]nique/,
    ],
  ];
  for (const [what, text, expected] of badInputs) {
    it(`explains ${what} without a stack trace`, async () => {
      const result = await nbv(['validate', file(`${what.replace(/ /g, '-')}.yaml`, text)]);
      assert.equal(result.code, 1);
      assert.match(result.stdout, expected);
      assert.doesNotMatch(result.stdout + result.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  it('names a file that does not exist', async () => {
    const result = await nbv(['validate', join(tmp, 'nope.yaml')]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /nope.yaml: no such file/);
  });
});

describe('nbv render', () => {
  it('renders the volumes sample as a restricted pod with the volumes only in execute', async () => {
    const result = await nbv([
      'render',
      '../shared/reference/nvj-operator/samples/mlops_v1alpha1_notebookvalidationjob_volumes.yaml',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const [pod] = parseAllDocuments(result.stdout).map((d) => d.toJS()) as RenderedPod[];
    assert.ok(pod);
    assert.equal(pod.kind, 'Pod');
    assert.deepEqual(pod.spec.volumes.slice(1), [
      { name: 'model-output', persistentVolumeClaim: { claimName: 'trained-models-pvc' } },
      {
        name: 'training-data',
        persistentVolumeClaim: { claimName: 'shared-datasets-pvc', readOnly: true },
      },
      { name: 'scratch', emptyDir: { sizeLimit: '20Gi' } },
    ]);
    const containers = [...pod.spec.initContainers, ...pod.spec.containers];
    for (const c of containers) {
      const userMounts = c.volumeMounts.filter((m) => m.name !== 'workspace');
      assert.equal(
        userMounts.length > 0,
        c.name === 'execute',
        `${c.name} mounts: ${JSON.stringify(userMounts)}`,
      );
      assert.equal(c.securityContext.runAsNonRoot, true);
      assert.equal(c.securityContext.allowPrivilegeEscalation, false);
      assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
      assert.equal(c.securityContext.seccompProfile.type, 'RuntimeDefault');
    }
    assert.deepEqual(containers.find((c) => c.name === 'execute')?.volumeMounts.slice(1), [
      { name: 'model-output', mountPath: '/models' },
      { name: 'training-data', mountPath: '/data', readOnly: true },
      { name: 'scratch', mountPath: '/tmp/scratch' },
    ]);
  });

  it('renders a model with its metadata Job and a service with its Deployment', async () => {
    const path = file(
      'serving.yaml',
      `apiVersion: ome.io/v1beta1
kind: BaseModel
metadata: {name: tiny, namespace: ml}
spec:
  storage: {storageUri: pvc://models/tiny/v1}
  modelFormat: {name: safetensors}
---
apiVersion: ome.io/v1beta1
kind: ServingRuntime
metadata: {name: rt, namespace: ml}
spec:
  supportedModelFormats: [{modelFormat: {name: safetensors}, autoSelect: true}]
  engineConfig: {runner: {name: engine, image: server:1, ports: [{containerPort: 9000}]}}
---
apiVersion: ome.io/v1beta1
kind: InferenceService
metadata: {name: tiny, namespace: ml}
spec: {model: {name: tiny}}
`,
    );
    const result = await nbv(['render', path]);
    assert.equal(result.code, 0, result.stderr);
    const kinds = parseAllDocuments(result.stdout).map((d) => (d.toJS() as { kind: string }).kind);
    assert.deepEqual(kinds, ['Job', 'Deployment', 'Service']);
    assert.match(result.stdout, /auto-selected ServingRuntime rt/);
  });

  it('refuses an invalid object with its field errors', async () => {
    const path = file(
      'invalid-render.yaml',
      'apiVersion: ome.io/v1beta1\nkind: BaseModel\nmetadata: {name: x}\nspec: {storage: {storageUri: "pvc://ns:c/m"}}\n',
    );
    const result = await nbv(['render', path]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /BaseModel\/x: spec.storage.storageUri: invalid PVC storage URI format: /,
    );
  });
});

describe('nbv crds', () => {
  it('prints the six CRDs', async () => {
    const result = await nbv(['crds']);
    assert.equal(result.code, 0);
    const names = parseAllDocuments(result.stdout).map(
      (d) => (d.toJS() as { metadata: { name: string } }).metadata.name,
    );
    assert.deepEqual(names.sort(), [
      'basemodels.ome.io',
      'clusterbasemodels.ome.io',
      'clusterservingruntimes.ome.io',
      'inferenceservices.ome.io',
      'notebookvalidationjobs.mlops.mlops.dev',
      'servingruntimes.ome.io',
    ]);
    assert.equal(parse(result.stdout.split('---\n')[1] ?? '').kind, 'CustomResourceDefinition');
  });
});
