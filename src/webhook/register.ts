// Registering the webhooks with a development cluster (`nbv operator --register-webhooks`, run as
// an admin): creates or updates both configurations by server-side apply. In a real install the
// manifests create them and the operator only keeps their caBundle current (ca-bundle.ts).
import type { KubeClient } from '../runtime/kube.ts';
import {
  buildWebhookConfigurations,
  mutatingWebhookConfigurations,
  validatingWebhookConfigurations,
  type WebhookConfigurationOptions,
} from './configurations.ts';
import type { WebhookConfigurationNames } from './ca-bundle.ts';

/**
 * Creates or updates both configurations; returns their names. Without `caBundle` the apiserver
 * trusts no certificate of the server until patchCaBundle (self-managed certificates) sets one.
 */
export async function ensureWebhookConfigurations(
  client: KubeClient,
  options: WebhookConfigurationOptions,
): Promise<WebhookConfigurationNames> {
  const { validating, mutating } = buildWebhookConfigurations(options);
  await Promise.all([client.apply(validating), client.apply(mutating)]);
  return { validating: validating.metadata.name, mutating: mutating.metadata.name };
}

/**
 * Deletes both configurations. With failurePolicy Fail, configurations left behind by a webhook
 * server that is gone block every write of the kinds they cover: remove them on the way out.
 */
export async function deleteWebhookConfigurations(
  client: KubeClient,
  names: WebhookConfigurationNames,
): Promise<void> {
  await Promise.all([
    client.delete(validatingWebhookConfigurations, { name: names.validating }),
    client.delete(mutatingWebhookConfigurations, { name: names.mutating }),
  ]);
}
