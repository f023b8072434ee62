// The operator's permissions under review: the literal lists below are what a reviewer approved.
// A new permission in rbac.ts fails here until the list is updated, so it shows up in the diff.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { installManifests, renderRules } from './manifests.ts';
import { CLUSTER_RULES, NAMESPACE_RULES } from './rbac.ts';

type Rule = Record<string, string[] | undefined>;

/** One line per group and resource: `group/resource: verbs [names]` (core group as `core`). */
export function ruleLines(rules: Rule[]): string[] {
  return rules.flatMap((r) =>
    (r.apiGroups ?? []).flatMap((group) =>
      (r.resources ?? []).map(
        (resource) =>
          `${group || 'core'}/${resource}: ${(r.verbs ?? []).join(',')}` +
          (r.resourceNames ? ` [${r.resourceNames.join(',')}]` : ''),
      ),
    ),
  );
}

const REVIEWED_CLUSTER_RULES = [
  'mlops.mlops.dev/notebookvalidationjobs: get,list,watch',
  'mlops.mlops.dev/notebookvalidationjobs/status: get,patch,update',
  'mlops.mlops.dev/notebookvalidationjobs/finalizers: update',
  'core/pods: get,list,watch,create,delete',
  'core/pods/log: get',
  'events.k8s.io/events: create,patch',
  'ome.io/basemodels: get,list,watch,patch,update',
  'ome.io/clusterbasemodels: get,list,watch,patch,update',
  'ome.io/inferenceservices: get,list,watch,patch,update',
  'ome.io/basemodels/status: get,patch,update',
  'ome.io/clusterbasemodels/status: get,patch,update',
  'ome.io/inferenceservices/status: get,patch,update',
  'ome.io/basemodels/finalizers: update',
  'ome.io/clusterbasemodels/finalizers: update',
  'ome.io/inferenceservices/finalizers: update',
  'ome.io/servingruntimes: get,list,watch',
  'ome.io/clusterservingruntimes: get,list,watch',
  'core/persistentvolumeclaims: get,list,watch',
  'batch/jobs: get,list,watch,create,delete',
  'apps/deployments: get,list,watch,create,patch,delete',
  'core/services: get,list,watch,create,patch,delete',
];
// Only with self-managed webhook certificates.
const REVIEWED_CLUSTER_RULES_SELF_SIGNED = [
  'admissionregistration.k8s.io/validatingwebhookconfigurations: get,patch [nbv-validating-webhook,nbv-mutating-webhook]',
  'admissionregistration.k8s.io/mutatingwebhookconfigurations: get,patch [nbv-validating-webhook,nbv-mutating-webhook]',
];
const REVIEWED_NAMESPACE_RULES = [
  'coordination.k8s.io/leases: create',
  'coordination.k8s.io/leases: get,update [nbv-operator]',
];
const REVIEWED_NAMESPACE_RULES_SELF_SIGNED = [
  'core/secrets: create',
  'core/secrets: get,update [nbv-webhook-cert]',
];

function renderedRules(kind: 'ClusterRole' | 'Role', options = {}): Rule[] {
  const role = installManifests({ crds: false, ...options }).find((o) => o.kind === kind);
  assert.ok(role, kind);
  return role.rules as Rule[];
}

describe('operator RBAC', () => {
  it('is the reviewed list (self-signed certificates, the default)', () => {
    assert.deepEqual(ruleLines(renderedRules('ClusterRole')), [
      ...REVIEWED_CLUSTER_RULES,
      ...REVIEWED_CLUSTER_RULES_SELF_SIGNED,
    ]);
    assert.deepEqual(ruleLines(renderedRules('Role')), [
      ...REVIEWED_NAMESPACE_RULES,
      ...REVIEWED_NAMESPACE_RULES_SELF_SIGNED,
    ]);
  });

  it('drops the certificate permissions with cert-manager or without the webhook', () => {
    for (const options of [{ certMode: 'cert-manager' }, { webhook: false }]) {
      assert.deepEqual(ruleLines(renderedRules('ClusterRole', options)), REVIEWED_CLUSTER_RULES);
      assert.deepEqual(ruleLines(renderedRules('Role', options)), REVIEWED_NAMESPACE_RULES);
    }
  });

  it('has no wildcard in groups, resources or verbs', () => {
    for (const rule of [...renderRules(CLUSTER_RULES, true), ...renderRules(NAMESPACE_RULES, true)])
      for (const key of ['apiGroups', 'resources', 'verbs'])
        assert.ok(!rule[key]?.includes('*'), `${key} of ${JSON.stringify(rule)}`);
  });

  it('grants no Secret access cluster-wide, and none without a resource name but create', () => {
    for (const rule of CLUSTER_RULES) assert.ok(!rule.resources.includes('secrets'));
    for (const rule of NAMESPACE_RULES.filter((r) => r.resources.includes('secrets')))
      assert.ok(rule.resourceNames || rule.verbs.join() === 'create', JSON.stringify(rule));
  });

  it('says why each rule is there', () => {
    for (const rule of [...CLUSTER_RULES, ...NAMESPACE_RULES]) assert.ok(rule.why.length > 10);
  });
});
