import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { newBundle, renewalReason, splitPem, subjectAltNames } from './self-managed.ts';

const DAY = 86_400_000;
const now = new Date('2030-01-01T00:00:00Z');
const wanted = { dnsNames: ['nbv.nbv-system.svc'], ipAddresses: ['127.0.0.1'], validityDays: 90 };
const bundle = newBundle(wanted, undefined, now);

describe('renewalReason', () => {
  it('keeps a fresh bundle for the same names', () => {
    assert.equal(renewalReason(bundle, wanted, now), undefined);
    // Names compare as sets, DNS names without case, IPs by their octets.
    const same = { ...wanted, dnsNames: ['NBV.nbv-system.svc'], ipAddresses: ['127.0.0.1'] };
    assert.equal(renewalReason(bundle, same, now), undefined);
  });

  it('renews within 30 days of expiry', () => {
    assert.equal(renewalReason(bundle, wanted, new Date(now.getTime() + 59 * DAY)), undefined);
    assert.match(
      renewalReason(bundle, wanted, new Date(now.getTime() + 61 * DAY)) ?? '',
      /^expires at 2030-04-01/,
    );
  });

  it('renews a short-lived certificate a third of its life before expiry, not always', () => {
    const short = { ...wanted, validityDays: 3 };
    const b = newBundle(short, undefined, now);
    assert.equal(renewalReason(b, short, new Date(now.getTime() + DAY)), undefined);
    assert.match(renewalReason(b, short, new Date(now.getTime() + 2.1 * DAY)) ?? '', /expires/);
  });

  it('renews when the names differ', () => {
    assert.match(
      renewalReason(bundle, { ...wanted, dnsNames: [...wanted.dnsNames, 'extra'] }, now) ?? '',
      /is for DNS:nbv.nbv-system.svc, IP Address:127.0.0.1/,
    );
    assert.ok(renewalReason(bundle, { ...wanted, ipAddresses: ['::1'] }, now));
    assert.ok(renewalReason(bundle, { ...wanted, ipAddresses: [] }, now));
  });

  it('renews when no CA in ca.crt signed the certificate, or the key does not match', () => {
    const other = newBundle(wanted, undefined, now);
    assert.match(
      renewalReason({ ...bundle, caPem: other.caPem }, wanted, now) ?? '',
      /not signed by a CA/,
    );
    assert.match(renewalReason({ ...bundle, caPem: '' }, wanted, now) ?? '', /not signed/);
    assert.match(
      renewalReason({ ...bundle, keyPem: other.keyPem }, wanted, now) ?? '',
      /does not match/,
    );
  });
});

describe('newBundle', () => {
  it('trusts the previous signer next to the new CA', () => {
    const next = newBundle(wanted, bundle.caPem, new Date(now.getTime() + 70 * DAY));
    const cas = splitPem(next.caPem);
    assert.equal(cas.length, 2);
    assert.equal(cas[1], splitPem(bundle.caPem)[0]);
    assert.ok(
      new X509Certificate(next.certPem).verify(new X509Certificate(cas[0] ?? '').publicKey),
    );
    // Only one predecessor: a third bundle drops the first CA.
    const third = newBundle(wanted, next.caPem, new Date(now.getTime() + 71 * DAY));
    assert.deepEqual(splitPem(third.caPem).slice(1), [cas[0]]);
  });

  it('drops an expired previous CA', () => {
    const later = newBundle(wanted, bundle.caPem, new Date(now.getTime() + 100 * DAY));
    assert.equal(splitPem(later.caPem).length, 1);
  });

  it('issues for the names asked', () => {
    assert.deepEqual(subjectAltNames(new X509Certificate(bundle.certPem)), {
      dnsNames: ['nbv.nbv-system.svc'],
      ips: ['7f000001'],
    });
  });
});
