// Self-managed webhook certificates: a CA and a serving certificate kept in a Secret of the
// operator's namespace (tls.crt, tls.key, ca.crt, as cert-manager lays them out), made when the
// Secret is missing, expiring, or names other hosts. Every replica runs this: creating the
// Secret, and replacing it at a resourceVersion, lets exactly one replica win a race; the others
// read the winner's certificate and serve that.
//
// Rotation trusts the previous CA next to the new one for a while: replicas still serving the
// old certificate keep working until their next re-check picks up the new one. The CA's private
// key is never stored, so an old CA in the bundle can sign nothing new.
import { X509Certificate } from 'node:crypto';
import { isAlreadyExists, isConflict } from '../runtime/errors.ts';
import type { KubeClient, KubeObject } from '../runtime/kube.ts';
import type { Logger } from '../runtime/log.ts';
import { silentLogger } from '../runtime/log.ts';
import { resources } from '../runtime/resources.ts';
import { patchCaBundle, type WebhookConfigurationNames } from './ca-bundle.ts';
import { certHolder, servingCertificateProblem, type CertSource } from './certs.ts';
import { createCertificateAuthority, ipAddressBytes, issueServingCertificate } from './x509.ts';

export const SECRET_KEYS = { cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt' } as const;

const DAY_MS = 86_400_000;
const WRITE_ATTEMPTS = 5;

export interface CertBundle {
  certPem: string;
  keyPem: string;
  /** The CA certificates the apiserver must trust: the signer first, maybe its predecessor. */
  caPem: string;
}

export interface SelfManagedCertOptions {
  namespace: string;
  secretName: string;
  dnsNames: readonly string[];
  ipAddresses?: readonly string[];
  /** Default 365. */
  validityDays?: number;
  /** Renew this long before expiry; default 30, at most a third of the validity. */
  renewBeforeDays?: number;
  log?: Logger;
  now?: () => Date;
}

interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

/** The CERTIFICATE blocks of a PEM bundle. */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n?/g) ?? [];
}

/** The DNS names and IP addresses (normalised to hex octets) a certificate is for. */
export function subjectAltNames(cert: X509Certificate): { dnsNames: string[]; ips: string[] } {
  const dnsNames: string[] = [];
  const ips: string[] = [];
  // Node's form: "DNS:a, IP Address:127.0.0.1"; our names hold no commas or quotes.
  for (const entry of (cert.subjectAltName ?? '').split(', ')) {
    if (entry.startsWith('DNS:')) dnsNames.push(entry.slice(4).toLowerCase());
    else if (entry.startsWith('IP Address:'))
      ips.push(ipAddressBytes(entry.slice(11)).toString('hex'));
  }
  return { dnsNames, ips };
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  new Set(a).size === new Set(b).size && a.every((x) => b.includes(x));

type Wanted = Pick<
  SelfManagedCertOptions,
  'dnsNames' | 'ipAddresses' | 'validityDays' | 'renewBeforeDays'
>;

function renewBeforeMs(options: Wanted): number {
  const validity = options.validityDays ?? 365;
  return Math.min(options.renewBeforeDays ?? 30, validity / 3) * DAY_MS;
}

/** Why `bundle` must be replaced, or undefined when it is good for the wanted names. */
export function renewalReason(bundle: CertBundle, wanted: Wanted, now: Date): string | undefined {
  const problem = servingCertificateProblem(bundle, now);
  if (problem) return problem;
  const cert = new X509Certificate(bundle.certPem);
  const renewAt = cert.validToDate.getTime() - renewBeforeMs(wanted);
  if (now.getTime() >= renewAt) return `expires at ${cert.validToDate.toISOString()}`;
  const san = subjectAltNames(cert);
  const wantedIps = (wanted.ipAddresses ?? []).map((ip) => ipAddressBytes(ip).toString('hex'));
  if (
    !sameSet(
      san.dnsNames,
      wanted.dnsNames.map((n) => n.toLowerCase()),
    ) ||
    !sameSet(san.ips, wantedIps)
  ) {
    return `is for ${cert.subjectAltName ?? 'no names'}`;
  }
  const signed = splitPem(bundle.caPem).some((pem) => {
    const ca = new X509Certificate(pem);
    return ca.ca && now <= ca.validToDate && cert.checkIssued(ca) && cert.verify(ca.publicKey);
  });
  return signed ? undefined : 'is not signed by a CA in ca.crt';
}

/** A new CA and serving certificate; the previous bundle's signer stays trusted while valid. */
export function newBundle(
  options: Pick<SelfManagedCertOptions, 'dnsNames' | 'ipAddresses' | 'validityDays'>,
  previousCaPem: string | undefined,
  now: Date,
): CertBundle {
  const validityDays = options.validityDays ?? 365;
  const ca = createCertificateAuthority({ validityDays, now });
  const serving = issueServingCertificate(ca, {
    dnsNames: options.dnsNames,
    ipAddresses: options.ipAddresses ?? [],
    validityDays,
    now,
  });
  const previous = splitPem(previousCaPem ?? '')
    .slice(0, 1)
    .filter((pem) => {
      try {
        return now <= new X509Certificate(pem).validToDate;
      } catch {
        return false;
      }
    });
  return { ...serving, caPem: [ca.certPem, ...previous].join('') };
}

function bundleOf(secret: Secret | undefined): CertBundle | undefined {
  const data = secret?.data ?? {};
  const text = (key: string): string => Buffer.from(data[key] ?? '', 'base64').toString('utf8');
  const bundle = {
    certPem: text(SECRET_KEYS.cert),
    keyPem: text(SECRET_KEYS.key),
    caPem: text(SECRET_KEYS.ca),
  };
  return bundle.certPem && bundle.keyPem ? bundle : undefined;
}

function secretData(bundle: CertBundle): Record<string, string> {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  return {
    [SECRET_KEYS.cert]: b64(bundle.certPem),
    [SECRET_KEYS.key]: b64(bundle.keyPem),
    [SECRET_KEYS.ca]: b64(bundle.caPem),
  };
}

interface Ensured {
  bundle: CertBundle;
  /** The Secret's resourceVersion that holds `bundle`. */
  resourceVersion: string;
}

async function ensure(client: KubeClient, options: SelfManagedCertOptions): Promise<Ensured> {
  const { namespace, secretName: name } = options;
  const log = options.log ?? silentLogger;
  for (let attempt = 1; ; attempt++) {
    const now = options.now?.() ?? new Date();
    const secret = await client.get<Secret>(resources.secrets, name, namespace);
    const current = bundleOf(secret);
    const reason = current ? renewalReason(current, options, now) : 'none stored';
    if (current && !reason) {
      return { bundle: current, resourceVersion: secret?.metadata?.resourceVersion ?? '' };
    }
    const bundle = newBundle(options, current?.caPem, now);
    try {
      const written = secret
        ? // The type is immutable: a pre-created Opaque Secret stays Opaque.
          await client.replace<Secret>({
            ...secret,
            data: { ...secret.data, ...secretData(bundle) },
          })
        : await client.create<Secret>({
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'nbv' } },
            type: 'kubernetes.io/tls',
            data: secretData(bundle),
          });
      log.info({ secret: `${namespace}/${name}`, reason }, 'new webhook certificate stored');
      return { bundle, resourceVersion: written.metadata?.resourceVersion ?? '' };
    } catch (err) {
      // Another replica wrote first: read and use its certificate.
      if ((isAlreadyExists(err) || isConflict(err)) && attempt < WRITE_ATTEMPTS) continue;
      throw err;
    }
  }
}

/**
 * The certificate in the Secret, made or renewed first if needed. Safe to call from several
 * replicas at once: all end with the same certificate.
 */
export async function ensureSelfManagedCerts(
  client: KubeClient,
  options: SelfManagedCertOptions,
): Promise<CertBundle> {
  return (await ensure(client, options)).bundle;
}

export interface SelfManagedCerts extends CertSource {
  /**
   * Reads the Secret (renewing if needed), serves what it holds and puts its CA bundle into the
   * webhook configurations. Runs every interval by itself; call it for an immediate look.
   */
  recheck(): Promise<CertBundle>;
  bundle(): CertBundle;
  stop(): void;
}

export interface StartSelfManagedOptions extends SelfManagedCertOptions {
  /** The configurations whose caBundle to keep current; none: leave them alone. */
  webhooks?: WebhookConfigurationNames;
  /** Default 10 minutes. */
  intervalMs?: number;
  /**
   * While a webhook configuration is missing (installed after the operator started), look this
   * often instead; default 5 s. Without it the apiserver could not call the webhook for minutes.
   */
  missingIntervalMs?: number;
}

/** Ensures the certificate now (throwing if it cannot), then re-checks it periodically. */
export async function startSelfManagedCerts(
  client: KubeClient,
  options: StartSelfManagedOptions,
): Promise<SelfManagedCerts> {
  const log = options.log ?? silentLogger;
  const { webhooks } = options;
  let configurationMissing = false;

  const check = async (): Promise<Ensured> => {
    for (let attempt = 1; ; attempt++) {
      const ensured = await ensure(client, options);
      if (!webhooks) return ensured;
      const outcome = await patchCaBundle(client, ensured.bundle.caPem, webhooks, log);
      configurationMissing = outcome.validating === 'missing' || outcome.mutating === 'missing';
      // A replica that rotated between our read and our patch had its bundle overwritten by
      // ours: if the Secret moved on, go again with what it holds now.
      const after = await client.get(resources.secrets, options.secretName, options.namespace);
      if (after?.metadata?.resourceVersion === ensured.resourceVersion || attempt >= 3) {
        return ensured;
      }
    }
  };

  let latest = (await check()).bundle;
  const holder = certHolder(latest);
  // One check at a time, each starting after the last: a caller that just changed the Secret
  // gets a check that reads it, not the end of one already under way.
  let queue: Promise<unknown> = Promise.resolve();
  const recheck = (): Promise<CertBundle> => {
    const run = queue.then(check).then(({ bundle }) => {
      latest = bundle;
      if (holder.set(bundle)) log.info('serving the new webhook certificate');
      return bundle;
    });
    queue = run.catch(() => undefined);
    return run;
  };

  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (): void => {
    if (stopped) return;
    const delay = configurationMissing
      ? (options.missingIntervalMs ?? 5_000)
      : (options.intervalMs ?? 10 * 60_000);
    timer = setTimeout(() => {
      recheck()
        .catch((err: unknown) => log.error({ err }, 'webhook certificate re-check failed'))
        .finally(schedule);
    }, delay);
    timer.unref();
  };
  schedule();

  return {
    current: holder.current,
    subscribe: holder.subscribe,
    recheck,
    bundle: () => latest,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
