import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { nbv } from '../../test/unit/cli-io.ts';
import {
  CERT_DIR,
  DEFAULT_INSTALL_OPTIONS,
  installManifests,
  operatorSelector,
  type ManifestObject,
} from './manifests.ts';
import { LEADER_ELECTION_LEASE, WEBHOOK_CERT_SECRET } from './rbac.ts';

// Shapes read in the assertions; the objects themselves are plain data.
interface Container {
  name: string;
  image: string;
  args: string[];
  env: { name: string; value?: string; valueFrom?: { fieldRef: { fieldPath: string } } }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  resources: { requests: object; limits: object };
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  serviceAccountName: string;
  automountServiceAccountToken: boolean;
  securityContext: Record<string, unknown>;
  topologySpreadConstraints: { labelSelector: { matchLabels: object } }[];
  containers: Container[];
  volumes: { name: string; secret?: { secretName: string } }[];
}
interface Deployment extends ManifestObject {
  spec: {
    replicas: number;
    selector: { matchLabels: object };
    template: { metadata: { labels: object }; spec: PodSpec };
  };
}
interface WebhookConfiguration extends ManifestObject {
  webhooks: {
    clientConfig: { url?: string; service?: { namespace: string; name: string; path: string } };
    failurePolicy: string;
    sideEffects: string;
    admissionReviewVersions: string[];
    timeoutSeconds: number;
    namespaceSelector?: object;
    rules: { apiGroups: string[]; resources: string[]; operations: string[] }[];
  }[];
}

const kinds = (objects: ManifestObject[]) => objects.map((o) => o.kind);
const only = <T extends ManifestObject>(objects: ManifestObject[], kind: string): T => {
  const found = objects.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0] as T;
};
const operatorContainer = (objects: ManifestObject[]): Container => {
  const container = only<Deployment>(objects, 'Deployment').spec.template.spec.containers[0];
  assert.ok(container);
  return container;
};

describe('installManifests', () => {
  it('lists the install in apply order: namespace, CRDs, RBAC, Services, Deployment, webhooks', () => {
    assert.deepEqual(kinds(installManifests()), [
      'Namespace',
      ...Array(6).fill('CustomResourceDefinition'),
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'Service',
      'Service',
      'Deployment',
      'PodDisruptionBudget',
      'ValidatingWebhookConfiguration',
      'MutatingWebhookConfiguration',
    ]);
  });

  it('puts every namespaced object in the operator namespace and the Namespace under restricted', () => {
    const objects = installManifests({ namespace: 'ops' });
    const clusterScoped = new Set([
      'Namespace',
      'CustomResourceDefinition',
      'ClusterRole',
      'ClusterRoleBinding',
      'ValidatingWebhookConfiguration',
      'MutatingWebhookConfiguration',
    ]);
    for (const o of objects) {
      if (clusterScoped.has(o.kind)) assert.equal(o.metadata.namespace, undefined, o.kind);
      else assert.equal(o.metadata.namespace, 'ops', `${o.kind}/${o.metadata.name}`);
    }
    const ns = only(objects, 'Namespace');
    assert.equal(ns.metadata.name, 'ops');
    assert.equal(ns.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
    for (const kind of ['ClusterRoleBinding', 'RoleBinding']) {
      const binding = only<ManifestObject & { subjects: object[] }>(objects, kind);
      assert.deepEqual(binding.subjects, [
        { kind: 'ServiceAccount', name: 'nbv-operator', namespace: 'ops' },
      ]);
    }
  });

  it('runs the operator with leader election, probes, ports and a restricted security context', () => {
    const objects = installManifests();
    const deployment = only<Deployment>(objects, 'Deployment');
    assert.equal(deployment.spec.replicas, 2);
    const pod = deployment.spec.template.spec;
    assert.equal(pod.serviceAccountName, 'nbv-operator');
    assert.equal(pod.automountServiceAccountToken, true);
    assert.deepEqual(deployment.spec.selector.matchLabels, operatorSelector());
    assert.deepEqual(
      pod.topologySpreadConstraints[0]?.labelSelector.matchLabels,
      operatorSelector(),
    );
    for (const [key, value] of Object.entries(operatorSelector()))
      assert.equal(
        (deployment.spec.template.metadata.labels as Record<string, string>)[key],
        value,
      );
    assert.deepEqual(pod.securityContext, {
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const c = operatorContainer(objects);
    assert.equal(c.image, DEFAULT_INSTALL_OPTIONS.image);
    assert.deepEqual(c.args, [
      'operator',
      '--leader-elect',
      '--metrics-port=8080',
      '--health-port=8081',
      '--webhook-port=9443',
      '--self-signed-certs',
      '--webhook-service=nbv-webhook.nbv-system.svc,nbv-webhook.nbv-system.svc.cluster.local',
    ]);
    assert.deepEqual(
      c.ports.map((p) => `${p.name}=${p.containerPort}`),
      ['metrics=8080', 'health=8081', 'webhook=9443'],
    );
    assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'health' });
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'health' });
    assert.deepEqual(c.securityContext, {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.ok(c.resources.requests && c.resources.limits);
    const env = Object.fromEntries(
      c.env.map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef.fieldPath]),
    );
    assert.deepEqual(env, {
      POD_NAMESPACE: 'metadata.namespace',
      POD_NAME: 'metadata.name',
      NODE_OPTIONS: '--max-semi-space-size=2',
      NBV_IMAGE: DEFAULT_INSTALL_OPTIONS.image,
      NBV_GIT_IMAGE: DEFAULT_INSTALL_OPTIONS.gitImage,
      NBV_METADATA_JOB_BACKOFF_LIMIT: '2',
      NBV_METADATA_JOB_DEADLINE_SECONDS: '600',
      NBV_METADATA_JOB_TTL_SECONDS: '3600',
    });
  });

  it('passes the options through to the Deployment', () => {
    const objects = installManifests({
      image: 'registry.example/nbv:dev',
      gitImage: 'registry.example/git:2',
      replicas: 1,
      watchNamespace: 'team-a',
      resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi' } },
      metadataJob: { backoffLimit: 0, activeDeadlineSeconds: 60, ttlSecondsAfterFinished: 5 },
    });
    const c = operatorContainer(objects);
    assert.equal(c.image, 'registry.example/nbv:dev');
    assert.ok(c.args.includes('--namespace=team-a'));
    assert.deepEqual(c.resources, {
      requests: { cpu: '1', memory: '1Gi' },
      limits: { memory: '2Gi' },
    });
    const env = new Map(c.env.map((e) => [e.name, e.value]));
    assert.equal(env.get('NBV_IMAGE'), 'registry.example/nbv:dev');
    assert.equal(env.get('NBV_GIT_IMAGE'), 'registry.example/git:2');
    assert.equal(env.get('NBV_METADATA_JOB_BACKOFF_LIMIT'), '0');
    assert.equal(env.get('NBV_METADATA_JOB_DEADLINE_SECONDS'), '60');
    assert.equal(env.get('NBV_METADATA_JOB_TTL_SECONDS'), '5');
    // One replica: no disruption budget, which would block node drains.
    assert.ok(!kinds(objects).includes('PodDisruptionBudget'));
    // The webhooks see only the watched namespace.
    const validating = only<WebhookConfiguration>(objects, 'ValidatingWebhookConfiguration');
    assert.deepEqual(validating.webhooks[0]?.namespaceSelector, {
      matchLabels: { 'kubernetes.io/metadata.name': 'team-a' },
    });
  });

  it('serves both webhooks through the Service, failing closed, for every nbv kind', () => {
    const objects = installManifests();
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'nbv-webhook');
    assert.deepEqual((service as unknown as { spec: { ports: object[] } }).spec.ports, [
      { name: 'webhook', port: 443, targetPort: 'webhook', protocol: 'TCP' },
    ]);
    for (const [kind, name, path] of [
      ['ValidatingWebhookConfiguration', 'nbv-validating-webhook', '/validate'],
      ['MutatingWebhookConfiguration', 'nbv-mutating-webhook', '/mutate'],
    ] as const) {
      const config = only<WebhookConfiguration>(objects, kind);
      assert.equal(config.metadata.name, name);
      assert.equal(config.metadata.annotations, undefined, 'the operator fills caBundle itself');
      const [webhook] = config.webhooks;
      assert.ok(webhook);
      assert.deepEqual(webhook.clientConfig, {
        service: { namespace: 'nbv-system', name: 'nbv-webhook', port: 443, path },
      });
      assert.equal(webhook.failurePolicy, 'Fail');
      assert.equal(webhook.sideEffects, 'None');
      assert.deepEqual(webhook.admissionReviewVersions, ['v1']);
      assert.equal(webhook.timeoutSeconds, 10);
      assert.deepEqual(
        webhook.rules.map(
          (r) => `${r.apiGroups.join()}:${r.resources.join()}:${r.operations.join()}`,
        ),
        [
          'mlops.mlops.dev:notebookvalidationjobs:CREATE,UPDATE',
          'ome.io:basemodels,clusterbasemodels,inferenceservices,servingruntimes,clusterservingruntimes:CREATE,UPDATE',
        ],
      );
    }
  });

  it('cert-manager mode: Issuer, Certificate, CA injection, the Secret mounted at --cert-dir, no Secret RBAC', () => {
    const objects = installManifests({ certMode: 'cert-manager', namespace: 'ops' });
    const certificate = only<ManifestObject & { spec: Record<string, unknown> }>(
      objects,
      'Certificate',
    );
    assert.deepEqual(certificate.spec, {
      secretName: WEBHOOK_CERT_SECRET,
      dnsNames: ['nbv-webhook.ops.svc', 'nbv-webhook.ops.svc.cluster.local'],
      issuerRef: { kind: 'Issuer', name: 'nbv-selfsigned-issuer' },
    });
    only(objects, 'Issuer');
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'])
      assert.deepEqual(only(objects, kind).metadata.annotations, {
        'cert-manager.io/inject-ca-from': 'ops/nbv-serving-cert',
      });
    const c = operatorContainer(objects);
    assert.ok(c.args.includes(`--cert-dir=${CERT_DIR}`));
    assert.ok(!c.args.includes('--self-signed-certs'));
    assert.deepEqual(
      c.volumeMounts.find((m) => m.name === 'webhook-certs'),
      { name: 'webhook-certs', mountPath: CERT_DIR, readOnly: true },
    );
    const pod = only<Deployment>(objects, 'Deployment').spec.template.spec;
    assert.equal(
      pod.volumes.find((v) => v.name === 'webhook-certs')?.secret?.secretName,
      WEBHOOK_CERT_SECRET,
    );
    const role = only<ManifestObject & { rules: { resources: string[] }[] }>(objects, 'Role');
    assert.ok(role.rules.every((r) => !r.resources.includes('secrets')));
    const clusterRole = only<ManifestObject & { rules: { apiGroups: string[] }[] }>(
      objects,
      'ClusterRole',
    );
    assert.ok(
      clusterRole.rules.every((r) => !r.apiGroups.includes('admissionregistration.k8s.io')),
    );
  });

  it('self-signed mode: no volume for certificates, Secret access by name only', () => {
    const objects = installManifests();
    assert.ok(!kinds(objects).includes('Certificate'));
    const pod = only<Deployment>(objects, 'Deployment').spec.template.spec;
    assert.deepEqual(
      pod.volumes.map((v) => v.name),
      ['tmp'],
    );
    const role = only<ManifestObject & { rules: Record<string, string[]>[] }>(objects, 'Role');
    const secretRules = role.rules.filter((r) => r.resources?.includes('secrets'));
    assert.deepEqual(secretRules, [
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: [WEBHOOK_CERT_SECRET],
        verbs: ['get', 'update'],
      },
    ]);
    assert.ok(role.rules.some((r) => r.resourceNames?.includes(LEADER_ELECTION_LEASE)));
  });

  it('without the webhook: no webhook Service, configurations, port or certificate', () => {
    const objects = installManifests({ webhook: false, certMode: 'cert-manager' });
    const kindsAndNames = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    assert.ok(
      !kindsAndNames.some((k) => /Webhook|Certificate|Issuer|nbv-webhook/.test(k)),
      kindsAndNames.join(),
    );
    const c = operatorContainer(objects);
    assert.ok(c.args.includes('--webhook-port=-1'));
    assert.ok(!c.ports.some((p) => p.name === 'webhook'));
    const role = only<ManifestObject & { rules: { resources: string[] }[] }>(objects, 'Role');
    assert.ok(role.rules.every((r) => !r.resources.includes('secrets')));
  });

  it('development webhook URL: no webhook Service; the URL host names the certificate', () => {
    const objects = installManifests({ webhookUrl: 'https://192.168.1.5:9443' });
    assert.ok(!objects.some((o) => o.metadata.name === 'nbv-webhook'));
    const validating = only<WebhookConfiguration>(objects, 'ValidatingWebhookConfiguration');
    assert.deepEqual(validating.webhooks[0]?.clientConfig, {
      url: 'https://192.168.1.5:9443/validate',
    });
    assert.ok(operatorContainer(objects).args.includes('--webhook-service=192.168.1.5'));
    const certManager = installManifests({
      webhookUrl: 'https://dev.local:9443',
      certMode: 'cert-manager',
    });
    const certificate = only<ManifestObject & { spec: { dnsNames: string[] } }>(
      certManager,
      'Certificate',
    );
    assert.deepEqual(certificate.spec.dnsNames, ['dev.local']);
  });

  it('adds a ServiceMonitor for the metrics Service on request', () => {
    const objects = installManifests({ serviceMonitor: true });
    const monitor = only<ManifestObject & { spec: { selector: { matchLabels: object } } }>(
      objects,
      'ServiceMonitor',
    );
    const metrics = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'nbv-metrics');
    assert.deepEqual(monitor.spec.selector.matchLabels, metrics?.metadata.labels);
    assert.ok(!kinds(installManifests()).includes('ServiceMonitor'));
  });

  it('leaves out the Namespace and the CRDs when asked', () => {
    const objects = installManifests({ createNamespace: false, crds: false });
    assert.ok(!kinds(objects).includes('Namespace'));
    assert.ok(!kinds(objects).includes('CustomResourceDefinition'));
  });

  it('keeps the rationale of each RBAC rule out of the rendered objects', () => {
    assert.ok(!JSON.stringify(installManifests()).includes('"why"'));
  });

  it('rejects a bad replica count', () => {
    assert.throws(() => installManifests({ replicas: -1 }), /replicas/);
  });
});

describe('nbv install', () => {
  it('--print writes installManifests() as a YAML stream', async () => {
    const result = await nbv(['install', '--print']);
    assert.equal(result.code, 0, result.stderr);
    const docs = parseAllDocuments(result.stdout).map((d) => d.toJS() as ManifestObject);
    assert.deepEqual(docs, JSON.parse(JSON.stringify(installManifests())));
  });

  it('--print takes the options as flags', async () => {
    const args = [
      'install',
      '--print',
      '--namespace=ops',
      '--cert-mode=cert-manager',
      '--image=registry.example/nbv:dev',
      '--replicas=3',
      '--watch-namespace=team-a',
      '--service-monitor',
      '--no-crds',
      '--metadata-job-ttl-seconds=60',
    ];
    const result = await nbv(args);
    assert.equal(result.code, 0, result.stderr);
    const docs = parseAllDocuments(result.stdout).map((d) => d.toJS() as ManifestObject);
    const expected = installManifests({
      namespace: 'ops',
      certMode: 'cert-manager',
      image: 'registry.example/nbv:dev',
      replicas: 3,
      watchNamespace: 'team-a',
      serviceMonitor: true,
      crds: false,
      metadataJob: { ...DEFAULT_INSTALL_OPTIONS.metadataJob, ttlSecondsAfterFinished: 60 },
    });
    assert.deepEqual(docs, JSON.parse(JSON.stringify(expected)));
  });

  it('says what is wrong with bad flags', async () => {
    for (const [args, message] of [
      [['install'], /without --print/],
      [['install', '--print', '--cert-mode=vault'], /--cert-mode: "vault"/],
      [['install', '--print', '--replicas=two'], /--replicas: "two"/],
      [['install', '--print', '--webhook-url=http://x'], /--webhook-url/],
    ] as const) {
      const result = await nbv([...args]);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, message);
    }
  });
});
