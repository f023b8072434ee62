import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { certHolder, fromDirectory, servingCertificateProblem } from './certs.ts';
import { createCertificateAuthority, issueServingCertificate } from './x509.ts';

const ca = createCertificateAuthority({ validityDays: 10 });
const issue = (dnsName: string) =>
  issueServingCertificate(ca, { dnsNames: [dnsName], validityDays: 5 });

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function certDir(cert: { certPem: string; keyPem: string }): string {
  const dir = mkdtempSync(join(tmpdir(), 'nbv-certs-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'tls.crt'), cert.certPem);
  writeFileSync(join(dir, 'tls.key'), cert.keyPem);
  return dir;
}

describe('servingCertificateProblem', () => {
  const a = issue('a');
  const b = issue('b');
  it('accepts a matching pair inside its validity', () => {
    assert.equal(servingCertificateProblem(a), undefined);
  });
  it('names what is wrong', () => {
    assert.match(servingCertificateProblem({ ...a, keyPem: b.keyPem }) ?? '', /does not match/);
    assert.match(
      servingCertificateProblem(a, new Date(Date.now() + 6 * 86_400_000)) ?? '',
      /expired at/,
    );
    assert.match(
      servingCertificateProblem(a, new Date(Date.now() - 86_400_000)) ?? '',
      /not valid before/,
    );
    assert.ok(servingCertificateProblem({ certPem: 'junk', keyPem: a.keyPem }));
  });
});

describe('certHolder', () => {
  it('tells subscribers of changes only', () => {
    const a = issue('a');
    const holder = certHolder(a);
    const seen: string[] = [];
    const unsubscribe = holder.subscribe((c) => seen.push(c.certPem));
    assert.equal(holder.set(a), false);
    const b = issue('b');
    assert.equal(holder.set(b), true);
    unsubscribe();
    holder.set(issue('c'));
    assert.deepEqual(seen, [b.certPem]);
  });
});

describe('fromDirectory', () => {
  it('loads tls.crt and tls.key and reloads them when they change', async () => {
    const first = issue('first');
    const dir = certDir(first);
    const source = await fromDirectory(dir, { pollMs: 60_000 });
    try {
      assert.equal(source.current().certPem, first.certPem);
      const seen: string[] = [];
      source.subscribe((c) => seen.push(c.certPem));
      assert.equal(await source.reload(), false);

      // Half-written (new cert, old key): kept out until the key follows.
      const second = issue('second');
      writeFileSync(join(dir, 'tls.crt'), second.certPem);
      assert.equal(await source.reload(), false);
      assert.equal(source.current().certPem, first.certPem);
      writeFileSync(join(dir, 'tls.key'), second.keyPem);
      assert.equal(await source.reload(), true);
      assert.deepEqual(seen, [second.certPem]);
      assert.equal(source.current().keyPem, second.keyPem);
    } finally {
      source.close();
    }
  });

  it('notices a change by polling', async () => {
    const dir = certDir(issue('one'));
    const source = await fromDirectory(dir, { pollMs: 20 });
    try {
      const next = issue('two');
      const changed = new Promise<string>((resolve) => source.subscribe((c) => resolve(c.certPem)));
      writeFileSync(join(dir, 'tls.key'), next.keyPem);
      writeFileSync(join(dir, 'tls.crt'), next.certPem);
      assert.equal(await changed, next.certPem);
    } finally {
      source.close();
    }
  });

  it('fails at start on missing or mismatched files', async () => {
    await assert.rejects(fromDirectory(join(tmpdir(), 'nbv-no-such-dir')), /ENOENT/);
    const a = issue('a');
    const dir = certDir({ certPem: a.certPem, keyPem: issue('b').keyPem });
    await assert.rejects(fromDirectory(dir), /does not match/);
  });
});
