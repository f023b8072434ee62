// X.509 v3 certificates in pure node:crypto: a self-signed CA and a serving certificate it signs,
// for the webhook's self-managed TLS. ECDSA P-256 with SHA-256, which Go's crypto/x509 (the
// apiserver) and OpenSSL both verify. The CA's private key is not returned in PEM: callers keep
// it in memory only long enough to issue, so a stored bundle never holds a key that can sign.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import {
  bitString,
  boolean,
  explicit,
  ia5String,
  implicit,
  namedBits,
  objectIdentifier,
  octetString,
  readChildren,
  readElement,
  sequence,
  setOf,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from './der.ts';

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

// RFC 5280 4.2.1.3 bit numbers.
const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 };

/** notBefore lies this far in the past, so that a node whose clock is behind accepts the cert. */
const CLOCK_SKEW_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

const DNS_NAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i;

export interface CertificateAndKey {
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
}

export interface CertificateAuthority {
  certPem: string;
  /** The issued certificates' issuer: byte for byte the CA's subject. */
  readonly subject: Buffer;
  readonly keyIdentifier: Buffer;
  readonly privateKey: KeyObject;
}

export interface ValidityOptions {
  validityDays: number;
  /** Defaults to the current time. */
  now?: Date;
}

export interface ServingCertificateOptions extends ValidityOptions {
  dnsNames: readonly string[];
  ipAddresses?: readonly string[];
  commonName?: string;
}

interface Extension {
  oid: string;
  critical: boolean;
  value: Buffer;
}

const signatureAlgorithm = sequence(objectIdentifier(OID.ecdsaWithSha256));

/** PEM armour, 64 base64 characters a line (RFC 7468). */
function toPem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The 4 or 16 octets of an IP address, as an iPAddress SAN holds them. */
export function ipAddressBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip) || ip.includes('%')) throw new Error(`not an IP address: ${ip}`);
  let text = ip;
  // An IPv4 tail (::ffff:10.0.0.1) becomes its two 16-bit groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const groups = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((g) => parseInt(g, 16));
  const [head = '', tail] = text.split('::');
  const before = groups(head);
  const after = tail === undefined ? [] : groups(tail);
  const zeros = tail === undefined ? 0 : 8 - before.length - after.length;
  const all = [...before, ...Array<number>(zeros).fill(0), ...after];
  const bytes = Buffer.alloc(16);
  all.forEach((group, i) => bytes.writeUInt16BE(group, i * 2));
  return bytes;
}

function newKeyPair(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const [, subjectPublicKey] = readChildren(readElement(spki).content);
  if (!subjectPublicKey) throw new Error('SubjectPublicKeyInfo without a key');
  return createHash('sha1').update(subjectPublicKey.content.subarray(1)).digest();
}

/** A positive 127-bit random serial (RFC 5280: at most 20 octets, unpredictable). */
function serialNumber(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f || 1;
  return bytes;
}

function distinguishedName(commonName: string): Buffer {
  return sequence(setOf(sequence(objectIdentifier(OID.commonName), utf8String(commonName))));
}

function encodeExtension({ oid, critical, value }: Extension): Buffer {
  // DER leaves out a BOOLEAN that has its DEFAULT (FALSE).
  return sequence(objectIdentifier(oid), ...(critical ? [boolean(true)] : []), octetString(value));
}

function validity({ validityDays, now = new Date() }: ValidityOptions): Buffer {
  if (!(validityDays > 0)) throw new RangeError(`validityDays must be positive: ${validityDays}`);
  const notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  const notAfter = new Date(now.getTime() + validityDays * DAY_MS);
  return sequence(time(notBefore), time(notAfter));
}

function certificate(fields: {
  issuer: Buffer;
  subject: Buffer;
  validity: Buffer;
  publicKey: KeyObject;
  extensions: Extension[];
  signingKey: KeyObject;
}): string {
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(serialNumber()),
    signatureAlgorithm,
    fields.issuer,
    fields.validity,
    fields.subject,
    fields.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...fields.extensions.map(encodeExtension))),
  );
  // For EC keys Node signs in the DER ECDSA-Sig-Value form that X.509 wants.
  const signature = sign('sha256', tbs, fields.signingKey);
  return toPem('CERTIFICATE', sequence(tbs, signatureAlgorithm, bitString(signature)));
}

/** A self-signed CA that may sign end-entity certificates only (pathLen 0). */
export function createCertificateAuthority(
  options: ValidityOptions & { commonName?: string },
): CertificateAuthority {
  const { publicKey, privateKey } = newKeyPair();
  const now = options.now ?? new Date();
  // A distinct name per CA, as client-go's self-signed CAs have, keeps old and new CA apart.
  const subject = distinguishedName(
    options.commonName ?? `nbv-webhook-ca@${Math.floor(now.getTime() / 1000)}`,
  );
  const id = keyIdentifier(publicKey);
  const certPem = certificate({
    issuer: subject,
    subject,
    validity: validity({ ...options, now }),
    publicKey,
    signingKey: privateKey,
    extensions: [
      {
        oid: OID.basicConstraints,
        critical: true,
        value: sequence(boolean(true), smallInteger(0)),
      },
      {
        oid: OID.keyUsage,
        critical: true,
        value: namedBits([KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign]),
      },
      { oid: OID.subjectKeyIdentifier, critical: false, value: octetString(id) },
    ],
  });
  return { certPem, subject, keyIdentifier: id, privateKey };
}

/** A TLS server certificate for `dnsNames` and `ipAddresses`, signed by `ca`. */
export function issueServingCertificate(
  ca: CertificateAuthority,
  options: ServingCertificateOptions,
): CertificateAndKey {
  const ipAddresses = options.ipAddresses ?? [];
  if (options.dnsNames.length === 0 && ipAddresses.length === 0) {
    throw new Error('a serving certificate needs at least one DNS name or IP address');
  }
  for (const name of options.dnsNames) {
    if (!DNS_NAME.test(name)) throw new Error(`not a DNS name: ${JSON.stringify(name)}`);
  }
  const san = sequence(
    ...options.dnsNames.map((name) => implicit(2, ia5String(name).subarray(2))),
    ...ipAddresses.map((ip) => implicit(7, ipAddressBytes(ip))),
  );
  const { publicKey, privateKey } = newKeyPair();
  const certPem = certificate({
    issuer: ca.subject,
    // Clients match the SANs; the CN is only a label, and DNS names can exceed its 64 characters.
    subject: distinguishedName(options.commonName ?? 'nbv-webhook'),
    validity: validity(options),
    publicKey,
    signingKey: ca.privateKey,
    extensions: [
      { oid: OID.basicConstraints, critical: true, value: sequence() },
      { oid: OID.keyUsage, critical: true, value: namedBits([KEY_USAGE.digitalSignature]) },
      {
        oid: OID.extKeyUsage,
        critical: false,
        value: sequence(objectIdentifier(OID.serverAuth)),
      },
      { oid: OID.subjectAltName, critical: false, value: san },
      {
        oid: OID.subjectKeyIdentifier,
        critical: false,
        value: octetString(keyIdentifier(publicKey)),
      },
      {
        oid: OID.authorityKeyIdentifier,
        critical: false,
        value: sequence(implicit(0, ca.keyIdentifier)),
      },
    ],
  });
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}
