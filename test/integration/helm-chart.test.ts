// charts/nbv renders the same objects as installManifests() for the same settings: the templates
// are written by hand (readable, idiomatic Helm), and this matrix of values keeps them equal to
// the code. Helm is built from test/helm/go.mod on first use (see src/dev/helm.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { DEFAULT_IMAGES } from '../../src/builders/images.ts';
import { installManifests, type InstallOptions } from '../../src/install/manifests.ts';
import { REPO, assertSameObjects, helm, helmTemplate } from './install-streams.ts';

const CASES: {
  name: string;
  namespace: string;
  set: string[];
  options: Partial<InstallOptions>;
}[] = [
  { name: 'default values', namespace: 'nbv-system', set: [], options: {} },
  {
    name: 'cert-manager certificates',
    namespace: 'ml-ops',
    set: ['webhook.certMode=cert-manager'],
    options: { certMode: 'cert-manager' },
  },
  {
    name: 'no webhook',
    namespace: 'nbv-system',
    set: ['webhook.enabled=false'],
    options: { webhook: false },
  },
  {
    name: 'one replica watching one namespace, with a ServiceMonitor',
    namespace: 'nbv',
    set: ['replicas=1', 'watchNamespace=team-a', 'serviceMonitor.enabled=true'],
    options: { replicas: 1, watchNamespace: 'team-a', serviceMonitor: true },
  },
  {
    name: 'own images, resources and metadata Job settings',
    namespace: 'nbv-system',
    set: [
      'image.repository=registry.example/nbv',
      'image.tag=dev-1',
      'image.pullPolicy=Always',
      'gitImage=registry.example/git:2',
      'resources.requests.cpu=250m',
      'resources.requests.memory=256Mi',
      'resources.limits.cpu=1500m',
      'resources.limits.memory=1Gi',
      'metadataJob.backoffLimit=0',
      'metadataJob.activeDeadlineSeconds=120',
      'metadataJob.ttlSecondsAfterFinished=60',
      'replicas=3',
    ],
    options: {
      image: 'registry.example/nbv:dev-1',
      imagePullPolicy: 'Always',
      gitImage: 'registry.example/git:2',
      resources: {
        requests: { cpu: '250m', memory: '256Mi' },
        limits: { cpu: '1500m', memory: '1Gi' },
      },
      metadataJob: { backoffLimit: 0, activeDeadlineSeconds: 120, ttlSecondsAfterFinished: 60 },
      replicas: 3,
    },
  },
];

describe('Helm chart charts/nbv', () => {
  it('passes helm lint --strict', async () => {
    const out = await helm(['lint', '--strict', 'charts/nbv']);
    assert.match(out, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  for (const c of CASES) {
    it(`renders installManifests() for ${c.name}`, async () => {
      const objects = await helmTemplate(c.namespace, c.set);
      const expected = installManifests({
        ...c.options,
        namespace: c.namespace,
        createNamespace: false,
      });
      assertSameObjects(objects, expected);
    });
  }

  it("versions follow package.json; the default image is the code's", () => {
    const chart = parse(readFileSync(join(REPO, 'charts/nbv/Chart.yaml'), 'utf8')) as {
      version: string;
      appVersion: string;
    };
    const values = parse(readFileSync(join(REPO, 'charts/nbv/values.yaml'), 'utf8')) as {
      image: { repository: string; tag: string };
      gitImage: string;
    };
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    assert.equal(chart.version, pkg.version);
    assert.equal(chart.appVersion, pkg.version);
    assert.equal(`${values.image.repository}:${chart.appVersion}`, DEFAULT_IMAGES.nbv);
    assert.equal(values.gitImage, DEFAULT_IMAGES.git);
  });

  it('rejects values outside its schema', async () => {
    await assert.rejects(helmTemplate('nbv-system', ['webhook.certMode=vault']), /certMode/);
    await assert.rejects(helmTemplate('nbv-system', ['replica=3']), /replica/);
  });
});
