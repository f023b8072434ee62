// The operator's admission webhook: the HTTPS server and where its certificate comes from —
// files mounted from cert-manager's Secret, or a self-managed CA kept in a Secret, with the
// webhook configurations' caBundle patched to match. `register` (development only) creates the
// configurations themselves, pointing at a URL.
import { isIP } from 'node:net';
import type { Registry } from 'prom-client';
import {
  MUTATING_WEBHOOK_NAME,
  VALIDATING_WEBHOOK_NAME,
  WEBHOOK_CERT_SECRET,
} from '../install/rbac.ts';
import type { KubeClient, Logger } from '../runtime/index.ts';
import { fromDirectory, type CertSource } from '../webhook/certs.ts';
import { ensureWebhookConfigurations } from '../webhook/register.ts';
import { startSelfManagedCerts } from '../webhook/self-managed.ts';
import { startWebhookServer } from '../webhook/server.ts';

export type CertificateOptions =
  | { kind: 'directory'; dir: string }
  | { kind: 'self-signed'; namespace: string; dnsNames: string[] };

export interface OperatorWebhookOptions {
  port: number;
  host?: string;
  certificate: CertificateOptions;
  /** Development: create the webhook configurations for this base URL (needs rights to). */
  register?: { url: string; namespace?: string };
}

export interface RunningWebhook {
  port: number;
  close(): Promise<void>;
}

/** Where the certificate comes from, and how to stop its polling or re-checks. */
async function certificateSource(
  client: KubeClient,
  options: OperatorWebhookOptions,
  log: Logger,
): Promise<{ source: CertSource; stop: () => void }> {
  const cert = options.certificate;
  if (cert.kind === 'directory') {
    const source = await fromDirectory(cert.dir, { log });
    return { source, stop: source.close };
  }
  const certs = await startSelfManagedCerts(client, {
    namespace: cert.namespace,
    secretName: WEBHOOK_CERT_SECRET,
    dnsNames: cert.dnsNames.filter((n) => isIP(n) === 0),
    ipAddresses: cert.dnsNames.filter((n) => isIP(n) !== 0),
    webhooks: { validating: VALIDATING_WEBHOOK_NAME, mutating: MUTATING_WEBHOOK_NAME },
    log,
  });
  const register = options.register;
  if (register) {
    await ensureWebhookConfigurations(client, {
      clientConfig: { url: register.url },
      caBundle: certs.bundle().caPem,
      ...(register.namespace
        ? {
            namespaceSelector: {
              matchLabels: { 'kubernetes.io/metadata.name': register.namespace },
            },
          }
        : {}),
    });
    log.info({ url: register.url }, 'webhook configurations registered');
  }
  return { source: certs, stop: certs.stop };
}

export async function startOperatorWebhook(
  client: KubeClient,
  options: OperatorWebhookOptions,
  deps: { log: Logger; registry: Registry },
): Promise<RunningWebhook> {
  const log = deps.log.child({ component: 'webhook' });
  const { source, stop } = await certificateSource(client, options, log);
  const server = await startWebhookServer({
    port: options.port,
    ...(options.host ? { host: options.host } : {}),
    certSource: source,
    log,
    registry: deps.registry,
  });
  log.info({ port: server.port }, 'webhook serving');
  return {
    port: server.port,
    async close() {
      stop();
      await server.close();
    },
  };
}
