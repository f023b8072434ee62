// The install on the real control plane, three ways: `nbv install --print`, the kustomize bases
// (config/default, config/certmanager, config/prometheus) and the Helm chart. Each stream is
// applied with a server-side dry run (every object, admission and schema validation included),
// then for real.
//
// Shared cluster: the other integration tests run the operator as the ServiceAccount of
// `nbv install --print --namespace nbv-system` and register their own webhook configurations
// under the same names. So every install here goes to nbv-system with the same cluster-scoped
// objects they use (the equivalence tests prove the three streams equal), the webhook
// configurations are only dry-run (real ones with failurePolicy Fail and no server behind the
// Service would reject every nbv object in the cluster), and cleanup removes only the Deployment,
// Services and disruption budget.
//
// cert-manager is not installed here. Its Issuer and Certificate are checked against stand-in
// CRDs (labelled nbv.dev/stand-in) that declare the fields nbv writes, with their types and
// required fields, and no others: the apiserver's strict field validation then rejects a
// misspelt or misplaced field, as cert-manager's own schema would. Same for the ServiceMonitor.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DEFAULT_INSTALL_OPTIONS,
  installManifests,
  operatorSelector,
  renderRules,
  type ManifestObject,
} from '../../src/install/manifests.ts';
import { CLUSTER_RULES, NAMESPACE_RULES } from '../../src/install/rbac.ts';
import { KubectlError, kubectl, listPods, waitFor } from './cluster.ts';
import {
  assertSameObjects,
  helmTemplate,
  kustomize,
  nbvInstallPrint,
  toStream,
} from './install-streams.ts';

const NS = DEFAULT_INSTALL_OPTIONS.namespace;
const SERVICE_ACCOUNT = `system:serviceaccount:${NS}:nbv-operator`;
const FIELD_MANAGER = 'nbv-install-test';
const STAND_IN_LABEL = 'nbv.dev/stand-in';

const isWebhookConfiguration = (o: ManifestObject) => o.kind.endsWith('WebhookConfiguration');

const str = { type: 'string' };
const strings = { type: 'array', items: str };
const obj = (properties: Record<string, unknown>, required?: string[]) => ({
  type: 'object',
  properties,
  ...(required ? { required } : {}),
});

/** A stand-in CRD: the real group, kind and version, with the subset of the schema nbv uses. */
function standInCrd(group: string, kind: string, plural: string, spec: object): ManifestObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${plural}.${group}`,
      labels: { [STAND_IN_LABEL]: 'true' },
      annotations: {
        'nbv.dev/stand-in': `not ${group}: a minimal stand-in for nbv's install test`,
      },
    },
    spec: {
      group,
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: obj({ spec }, ['spec']) },
        },
      ],
    },
  };
}

const STAND_IN_CRDS = [
  standInCrd(
    'cert-manager.io',
    'Issuer',
    'issuers',
    obj({ selfSigned: obj({ crlDistributionPoints: strings }) }),
  ),
  standInCrd(
    'cert-manager.io',
    'Certificate',
    'certificates',
    obj(
      {
        secretName: str,
        commonName: str,
        dnsNames: strings,
        ipAddresses: strings,
        duration: str,
        renewBefore: str,
        issuerRef: obj({ name: str, kind: str, group: str }, ['name']),
      },
      ['issuerRef', 'secretName'],
    ),
  ),
  standInCrd(
    'monitoring.coreos.com',
    'ServiceMonitor',
    'servicemonitors',
    obj(
      {
        selector: obj({ matchLabels: { type: 'object', additionalProperties: str } }),
        namespaceSelector: obj({ any: { type: 'boolean' }, matchNames: strings }),
        endpoints: {
          type: 'array',
          items: obj({
            port: str,
            path: str,
            interval: str,
            scheme: str,
            honorLabels: { type: 'boolean' },
          }),
        },
      },
      ['selector'],
    ),
  ),
];

const apply = (objects: ManifestObject[], dryRun = false) =>
  kubectl(
    [
      'apply',
      '--server-side',
      '--force-conflicts',
      `--field-manager=${FIELD_MANAGER}`,
      ...(dryRun ? ['--dry-run=server'] : []),
      '-f',
      '-',
    ],
    toStream(objects),
  );

let namespaceApplied: Promise<string> | undefined;

/** The operator's namespace, as the install creates it (restricted Pod Security enforced). */
async function ensureNamespace(): Promise<void> {
  // Once per file: nothing here deletes it.
  await (namespaceApplied ??= apply(installManifests().filter((o) => o.kind === 'Namespace')));
}

/** Server-side dry run of the whole stream, then the real apply of all but the webhooks. */
async function dryRunThenApply(objects: ManifestObject[]): Promise<void> {
  await ensureNamespace();
  await apply(objects, true);
  await apply(objects.filter((o) => !isWebhookConfiguration(o)));
}

async function operatorPodsRunning(replicas: number): Promise<void> {
  const selector = Object.entries(operatorSelector())
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  await waitFor(
    async () =>
      (await listPods(NS, selector)).filter((p) => p.status?.phase === 'Running').length ===
      replicas,
    60_000,
    `${replicas} operator pods Running in ${NS}`,
  );
}

async function canI(args: string[]): Promise<boolean> {
  try {
    await kubectl(['auth', 'can-i', ...args, `--as=${SERVICE_ACCOUNT}`]);
    return true;
  } catch (err) {
    if (err instanceof KubectlError && err.code === 1) return false;
    throw err;
  }
}

before(async () => {
  await apply(STAND_IN_CRDS);
  await kubectl([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    ...STAND_IN_CRDS.map((c) => `crd/${c.metadata.name}`),
  ]);
});

after(async () => {
  // Only what no other test uses; the namespace, ServiceAccount, RBAC and CRDs are shared.
  // One kubectl: it carries on past an object that fails (-n is ignored for the CRDs).
  await kubectl([
    'delete',
    '--ignore-not-found',
    '--wait=false',
    '-n',
    NS,
    'deployment/nbv-operator',
    'poddisruptionbudget/nbv-operator',
    'service/nbv-webhook',
    'service/nbv-metrics',
    ...STAND_IN_CRDS.map((c) => `crd/${c.metadata.name}`),
  ]).catch(() => {});
});

describe('nbv install on the real control plane', () => {
  it('nbv install --print: server dry run of every object, then applied; the operator pods pass restricted', async () => {
    const objects = await nbvInstallPrint();
    assertSameObjects(objects, installManifests());
    await dryRunThenApply(objects);
    // Pod Security admission (restricted, enforced on the namespace) let the ReplicaSet's pods in.
    await operatorPodsRunning(DEFAULT_INSTALL_OPTIONS.replicas);
  });

  it('the applied ClusterRole and Role hold the generated rules: no wildcard, no Secrets cluster-wide', async () => {
    type Role = { rules: Record<string, string[] | undefined>[] };
    const clusterRole = JSON.parse(
      await kubectl(['get', 'clusterrole', 'nbv-operator', '-o', 'json']),
    ) as Role;
    const role = JSON.parse(
      await kubectl(['get', 'role', '-n', NS, 'nbv-operator', '-o', 'json']),
    ) as Role;
    assert.deepEqual(clusterRole.rules, renderRules(CLUSTER_RULES, true));
    assert.deepEqual(role.rules, renderRules(NAMESPACE_RULES, true));
    for (const rule of [...clusterRole.rules, ...role.rules])
      for (const key of ['apiGroups', 'resources', 'verbs'])
        assert.ok(!rule[key]?.includes('*'), `wildcard in ${JSON.stringify(rule)}`);
    assert.ok(clusterRole.rules.every((r) => !r.resources?.includes('secrets')));
  });

  it("the operator's ServiceAccount may do what the controllers need, and no more", async () => {
    const allowed = [
      ['list', 'notebookvalidationjobs.mlops.mlops.dev', '--all-namespaces'],
      ['patch', 'notebookvalidationjobs.mlops.mlops.dev', '--subresource=status', '-n', 'team-a'],
      ['create', 'pods', '-n', 'team-a'],
      ['get', 'pods', '--subresource=log', '-n', 'team-a'],
      ['create', 'jobs.batch', '-n', 'team-a'],
      ['patch', 'clusterbasemodels.ome.io'],
      ['create', 'leases.coordination.k8s.io', '-n', NS],
      ['update', 'leases.coordination.k8s.io/nbv-operator', '-n', NS],
      ['get', 'secrets/nbv-webhook-cert', '-n', NS],
      [
        'patch',
        'validatingwebhookconfigurations.admissionregistration.k8s.io/nbv-validating-webhook',
      ],
    ];
    const denied = [
      ['get', 'secrets', '-n', 'team-a'],
      ['list', 'secrets', '-n', NS],
      ['get', 'secrets/another-secret', '-n', NS],
      ['create', 'leases.coordination.k8s.io', '-n', 'team-a'],
      ['update', 'leases.coordination.k8s.io/another-lease', '-n', NS],
      ['patch', 'validatingwebhookconfigurations.admissionregistration.k8s.io/another-webhook'],
      ['create', 'pods', '--subresource=exec', '-n', 'team-a'],
      ['delete', 'customresourcedefinitions.apiextensions.k8s.io'],
      ['create', 'clusterrolebindings.rbac.authorization.k8s.io'],
      ['impersonate', 'serviceaccounts', '-n', NS],
      ['delete', 'notebookvalidationjobs.mlops.mlops.dev', '-n', 'team-a'],
    ];
    for (const args of allowed) assert.equal(await canI(args), true, `may ${args.join(' ')}`);
    for (const args of denied) assert.equal(await canI(args), false, `may not ${args.join(' ')}`);
  });

  it('nbv install --print --cert-mode cert-manager: server dry run with stand-in cert-manager CRDs', async () => {
    const objects = await nbvInstallPrint(['--cert-mode=cert-manager', '--service-monitor']);
    assert.ok(objects.some((o) => o.kind === 'Certificate'));
    await ensureNamespace();
    await apply(objects, true);
  });
});

describe('kustomize bases on the real control plane', () => {
  it('config/default is the default install, and applies', async () => {
    const objects = await kustomize('config/default');
    assertSameObjects(objects, installManifests());
    await dryRunThenApply(objects);
  });

  it('config/certmanager is the cert-manager install, and passes a server dry run', async () => {
    const objects = await kustomize('config/certmanager');
    assertSameObjects(objects, installManifests({ certMode: 'cert-manager' }));
    await ensureNamespace();
    await apply(objects, true);
  });

  it('config/prometheus is the ServiceMonitor, and passes a server dry run', async () => {
    const objects = await kustomize('config/prometheus');
    const monitor = installManifests({ serviceMonitor: true }).filter(
      (o) => o.kind === 'ServiceMonitor',
    );
    assertSameObjects(objects, monitor);
    await ensureNamespace();
    await apply(objects, true);
  });
});

describe('Helm chart on the real control plane', () => {
  it('helm template (default values) is the install less the Namespace, and applies', async () => {
    const objects = await helmTemplate(NS);
    assertSameObjects(objects, installManifests({ createNamespace: false }));
    await dryRunThenApply(objects);
    await operatorPodsRunning(DEFAULT_INSTALL_OPTIONS.replicas);
  });

  it('helm template with cert-manager and a ServiceMonitor passes a server dry run', async () => {
    const objects = await helmTemplate(NS, [
      'webhook.certMode=cert-manager',
      'serviceMonitor.enabled=true',
    ]);
    assert.ok(objects.some((o) => o.kind === 'Certificate'));
    assert.ok(objects.some((o) => o.kind === 'ServiceMonitor'));
    await ensureNamespace();
    await apply(objects, true);
  });
});
