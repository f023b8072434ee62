// Puts the CA bundle into both webhook configurations, so that the apiserver trusts the serving
// certificate. RBAC gives the operator only get and patch on the two names, and a merge patch
// cannot address list items: a JSON patch per webhook entry, guarded by the resourceVersion read.
import { isConflict } from '../runtime/errors.ts';
import type { KubeClient, KubeObject } from '../runtime/kube.ts';
import type { Logger } from '../runtime/log.ts';
import { silentLogger } from '../runtime/log.ts';
import type { ResourceType } from '../runtime/resources.ts';
import {
  mutatingWebhookConfigurations,
  validatingWebhookConfigurations,
  type Webhook,
} from './configurations.ts';

export interface WebhookConfigurationNames {
  validating: string;
  mutating: string;
}

/** What happened to one configuration: not there (not installed yet) is not an error. */
export type CaBundleOutcome = 'patched' | 'unchanged' | 'missing';

const ATTEMPTS = 5;

/** The JSON patch that sets every webhook's caBundle; empty when all are current. */
export function caBundlePatch(
  config: KubeObject & { webhooks?: Pick<Webhook, 'clientConfig'>[] | null },
  caBundleBase64: string,
): { op: string; path: string; value: string }[] {
  const ops = (config.webhooks ?? []).flatMap((webhook, i) =>
    webhook.clientConfig.caBundle === caBundleBase64
      ? []
      : [{ op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundleBase64 }],
  );
  if (ops.length === 0) return [];
  // Indexes are only right for the version read: the apiserver answers 409 for any other.
  const resourceVersion = config.metadata?.resourceVersion ?? '';
  return [{ op: 'replace', path: '/metadata/resourceVersion', value: resourceVersion }, ...ops];
}

async function patchOne(
  client: KubeClient,
  type: ResourceType,
  name: string,
  caBundleBase64: string,
): Promise<CaBundleOutcome> {
  for (let attempt = 1; ; attempt++) {
    const config = await client.get<KubeObject & { webhooks?: Webhook[] }>(type, name);
    if (!config) return 'missing';
    const ops = caBundlePatch(config, caBundleBase64);
    if (ops.length === 0) return 'unchanged';
    try {
      await client.jsonPatch(type, { name }, ops);
      return 'patched';
    } catch (err) {
      if (!isConflict(err) || attempt >= ATTEMPTS) throw err;
    }
  }
}

/** Sets `caPem` as caBundle of every webhook in both configurations. */
export async function patchCaBundle(
  client: KubeClient,
  caPem: string,
  names: WebhookConfigurationNames,
  log: Logger = silentLogger,
): Promise<{ validating: CaBundleOutcome; mutating: CaBundleOutcome }> {
  const caBundle = Buffer.from(caPem).toString('base64');
  const [validating, mutating] = await Promise.all([
    patchOne(client, validatingWebhookConfigurations, names.validating, caBundle),
    patchOne(client, mutatingWebhookConfigurations, names.mutating, caBundle),
  ]);
  const outcome = { validating, mutating };
  if (validating === 'patched' || mutating === 'patched') log.info(outcome, 'webhook caBundle set');
  if (validating === 'missing' || mutating === 'missing') {
    log.warn({ ...outcome, names }, 'webhook configuration not found: its caBundle is not set');
  }
  return outcome;
}
