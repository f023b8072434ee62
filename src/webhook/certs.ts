// Where the webhook server's certificate comes from, and how a new one reaches it: a CertSource
// holds the current certificate and tells subscribers (the server's setSecureContext) of each
// change. Two sources: files that cert-manager (or any Secret volume) mounts, reloaded when they
// change, and self-managed certificates kept in a Secret (self-managed.ts).
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../runtime/log.ts';
import { silentLogger } from '../runtime/log.ts';

export interface ServingCertificate {
  certPem: string;
  keyPem: string;
}

export interface CertSource {
  current(): ServingCertificate;
  /** Calls `listener` with every new certificate; returns the unsubscribe. */
  subscribe(listener: (cert: ServingCertificate) => void): () => void;
}

/** A CertSource whose certificate its owner sets. */
export interface CertHolder extends CertSource {
  /** Stores `cert` and tells subscribers; true if it differs from the current one. */
  set(cert: ServingCertificate): boolean;
}

export function certHolder(initial: ServingCertificate): CertHolder {
  let cert = initial;
  const listeners = new Set<(cert: ServingCertificate) => void>();
  return {
    current: () => cert,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(next) {
      if (next.certPem === cert.certPem && next.keyPem === cert.keyPem) return false;
      cert = next;
      for (const listener of listeners) listener(next);
      return true;
    },
  };
}

/**
 * Why `cert` cannot serve: unparsable, key not matching, or outside its validity; undefined when
 * it can. A pair read while its files are being replaced fails here and waits for the next read.
 */
export function servingCertificateProblem(
  cert: ServingCertificate,
  now = new Date(),
): string | undefined {
  try {
    const x509 = new X509Certificate(cert.certPem);
    if (!x509.checkPrivateKey(createPrivateKey(cert.keyPem))) return 'the key does not match';
    if (now < x509.validFromDate) return `not valid before ${x509.validFromDate.toISOString()}`;
    if (now > x509.validToDate) return `expired at ${x509.validToDate.toISOString()}`;
    return undefined;
  } catch (err) {
    return errorMessage(err);
  }
}

export interface DirectoryCertSource extends CertSource {
  /** Reads the files now; true if the certificate changed. */
  reload(): Promise<boolean>;
  close(): void;
}

export interface DirectoryOptions {
  /** How often to look at the files; default 10 s, as controller-runtime's certwatcher. */
  pollMs?: number;
  certFile?: string;
  keyFile?: string;
  log?: Logger;
}

/**
 * tls.crt and tls.key from `dir`, as a cert-manager Certificate's Secret is mounted. Polled rather
 * than watched: the kubelet updates a Secret volume by swapping a symlink, which fs.watch
 * reports unreliably, and a read of two small files every few seconds costs nothing.
 */
export async function fromDirectory(
  dir: string,
  options: DirectoryOptions = {},
): Promise<DirectoryCertSource> {
  const certPath = join(dir, options.certFile ?? 'tls.crt');
  const keyPath = join(dir, options.keyFile ?? 'tls.key');
  const log = options.log ?? silentLogger;
  const read = async (): Promise<ServingCertificate> => {
    const [certPem, keyPem] = await Promise.all([
      readFile(certPath, 'utf8'),
      readFile(keyPath, 'utf8'),
    ]);
    return { certPem, keyPem };
  };

  const first = await read();
  const problem = servingCertificateProblem(first);
  if (problem) throw new Error(`${certPath}, ${keyPath}: ${problem}`);
  const holder = certHolder(first);

  const reload = async (): Promise<boolean> => {
    let next: ServingCertificate;
    try {
      next = await read();
    } catch (err) {
      log.warn({ err, dir }, 'cannot read the webhook certificate; keeping the current one');
      return false;
    }
    const current = holder.current();
    if (next.certPem === current.certPem && next.keyPem === current.keyPem) return false;
    const problem = servingCertificateProblem(next);
    if (problem) {
      log.warn({ dir, problem }, 'new webhook certificate not usable yet; keeping the current one');
      return false;
    }
    holder.set(next);
    log.info({ dir }, 'webhook certificate reloaded');
    return true;
  };

  // One read at a time: a poll during a caller's reload() joins it.
  let reloading: Promise<boolean> | undefined;
  const reloadOnce = (): Promise<boolean> =>
    (reloading ??= reload().finally(() => (reloading = undefined)));
  const timer = setInterval(() => void reloadOnce(), options.pollMs ?? 10_000);
  timer.unref();

  return {
    current: holder.current,
    subscribe: holder.subscribe,
    reload: reloadOnce,
    close: () => clearInterval(timer),
  };
}
