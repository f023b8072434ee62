import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createCertificateAuthority, ipAddressBytes, issueServingCertificate } from './x509.ts';

const now = new Date('2030-06-01T12:00:00Z');
const ca = createCertificateAuthority({ validityDays: 365, now });
const serving = issueServingCertificate(ca, {
  dnsNames: ['nbv-webhook.nbv-system.svc', 'localhost'],
  ipAddresses: ['127.0.0.1', '::1'],
  validityDays: 90,
  now,
});
const caCert = new X509Certificate(ca.certPem);
const cert = new X509Certificate(serving.certPem);

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'nbv-x509-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('x509 (node:crypto)', () => {
  it('makes a self-signed CA', () => {
    assert.equal(caCert.ca, true);
    assert.equal(caCert.subject, caCert.issuer);
    assert.match(caCert.subject, /^CN=nbv-webhook-ca@\d+$/);
    assert.ok(caCert.verify(caCert.publicKey));
    assert.equal(caCert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  });

  it('makes a serving certificate the CA signed, for the names asked', () => {
    assert.equal(cert.ca, false);
    assert.ok(cert.verify(caCert.publicKey));
    assert.ok(!cert.verify(cert.publicKey));
    assert.ok(cert.checkIssued(caCert));
    assert.equal(cert.issuer, caCert.subject);
    assert.equal(
      cert.subjectAltName,
      'DNS:nbv-webhook.nbv-system.svc, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(cert.checkIP('::1'), '::1');
    assert.equal(cert.checkIP('10.0.0.1'), undefined);
    assert.equal(cert.checkHost('nbv-webhook.nbv-system.svc'), 'nbv-webhook.nbv-system.svc');
    assert.equal(cert.checkHost('other.nbv-system.svc'), undefined);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']); // Node reports the extended key usage
    assert.ok(cert.checkPrivateKey(createPrivateKey(serving.keyPem)));
  });

  it('backdates notBefore 5 minutes and ends after the validity', () => {
    assert.equal(cert.validFromDate.toISOString(), '2030-06-01T11:55:00.000Z');
    assert.equal(cert.validToDate.toISOString(), '2030-08-30T12:00:00.000Z');
    assert.equal(caCert.validToDate.toISOString(), '2031-06-01T12:00:00.000Z');
  });

  it('gives each certificate its own positive serial', () => {
    const other = new X509Certificate(
      issueServingCertificate(ca, { dnsNames: ['a'], validityDays: 1, now }).certPem,
    );
    assert.notEqual(other.serialNumber, cert.serialNumber);
    for (const serial of [cert.serialNumber, caCert.serialNumber]) {
      assert.ok(parseInt(serial.slice(0, 2), 16) < 0x80, serial);
    }
  });

  it('refuses certificates without names and names that are not DNS names', () => {
    assert.throws(
      () => issueServingCertificate(ca, { dnsNames: [], validityDays: 1 }),
      /at least one/,
    );
    assert.throws(
      () => issueServingCertificate(ca, { dnsNames: ['bad name'], validityDays: 1 }),
      /not a DNS name/,
    );
    assert.throws(
      () =>
        issueServingCertificate(ca, { dnsNames: ['a'], ipAddresses: ['1.2.3'], validityDays: 1 }),
      /not an IP address/,
    );
  });

  it('encodes IPv4 and IPv6 addresses in octets', () => {
    assert.equal(ipAddressBytes('10.0.0.1').toString('hex'), '0a000001');
    assert.equal(ipAddressBytes('::1').toString('hex'), `${'0'.repeat(30)}01`);
    assert.equal(ipAddressBytes('fd00:1::2').toString('hex'), 'fd000001000000000000000000000002');
    assert.equal(
      ipAddressBytes('::ffff:10.0.0.1').toString('hex'),
      '00000000000000000000ffff0a000001',
    );
    assert.equal(
      ipAddressBytes('1:2:3:4:5:6:7:8').toString('hex'),
      '00010002000300040005000600070008',
    );
  });

  it('passes openssl verify (strict, TLS server purpose)', { skip: !hasOpenssl }, () => {
    // A certificate valid now, since openssl verify checks the time.
    const fresh = createCertificateAuthority({ validityDays: 2 });
    const leaf = issueServingCertificate(fresh, {
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      validityDays: 1,
    });
    writeFileSync(join(dir, 'ca.crt'), fresh.certPem);
    writeFileSync(join(dir, 'tls.crt'), leaf.certPem);
    const out = openssl([
      'verify',
      '-x509_strict',
      '-purpose',
      'sslserver',
      '-verify_ip',
      '127.0.0.1',
      '-CAfile',
      join(dir, 'ca.crt'),
      join(dir, 'tls.crt'),
    ]);
    assert.match(out, /tls\.crt: OK/);
  });

  it('reads in openssl x509 -text as the extensions intended', { skip: !hasOpenssl }, () => {
    writeFileSync(join(dir, 'leaf.crt'), serving.certPem);
    writeFileSync(join(dir, 'root.crt'), ca.certPem);
    const leaf = openssl(['x509', '-noout', '-text', '-in', join(dir, 'leaf.crt')]);
    assert.match(leaf, /Version: 3 \(0x2\)/);
    assert.match(leaf, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(leaf, /Basic Constraints: critical\s+CA:FALSE/);
    assert.match(leaf, /Key Usage: critical\s+Digital Signature\n/);
    assert.match(leaf, /Extended Key Usage: \s*\n\s+TLS Web Server Authentication/);
    assert.match(leaf, /DNS:nbv-webhook.nbv-system.svc, DNS:localhost, IP Address:127.0.0.1/);
    assert.match(leaf, /Subject Key Identifier/);
    const root = openssl(['x509', '-noout', '-text', '-in', join(dir, 'root.crt')]);
    assert.match(root, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    assert.match(root, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
    // The leaf's authority key id is the CA's subject key id.
    const ski = /Subject Key Identifier: \s*\n\s+([0-9A-F:]+)/.exec(root)?.[1];
    const aki = /Authority Key Identifier: \s*\n\s+(?:keyid:)?([0-9A-F:]+)/.exec(leaf)?.[1];
    assert.ok(ski);
    assert.equal(aki, ski);
    openssl(['asn1parse', '-in', join(dir, 'leaf.crt')]);
  });
});
