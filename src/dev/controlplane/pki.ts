// Certificates for the local control plane, issued with the openssl CLI (Node can make keys but
// not X.509 certificates): one CA, one serving certificate for every component on loopback, an
// admin client certificate in group system:masters, and the service-account signing key pair.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ControlPlaneError } from './errors.ts';
import type { TlsFiles } from './http.ts';
import { toYaml } from '../../util/yaml.ts';

const run = promisify(execFile);

export interface Pki {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

function pkiPaths(dir: string): Pki {
  return {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    servingCert: join(dir, 'serving.crt'),
    servingKey: join(dir, 'serving.key'),
    adminCert: join(dir, 'admin.crt'),
    adminKey: join(dir, 'admin.key'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
  };
}

/** The admin identity as TLS files for the probes and API calls in http.ts. */
export function adminTls(pki: Pki): TlsFiles {
  return { ca: pki.caCert, cert: pki.adminCert, key: pki.adminKey };
}

/** Creates whatever is missing in `dir` and returns the paths. */
export async function ensurePki(dir: string): Promise<Pki> {
  const pki = pkiPaths(dir);
  if (Object.values(pki).every((path) => existsSync(path))) return pki;
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  await issue(dir, 'ca', { CN: 'nbv-dev-ca' }, [
    'basicConstraints = critical,CA:TRUE',
    'keyUsage = critical,keyCertSign,cRLSign',
  ]);
  await issue(
    dir,
    'serving',
    { CN: 'nbv-dev-control-plane' },
    [
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage = serverAuth',
      'subjectAltName = IP:127.0.0.1,DNS:localhost',
    ],
    pki,
  );
  // Group system:masters: the admin bypasses RBAC, like a cluster creator's kubeconfig.
  await issue(
    dir,
    'admin',
    { O: 'system:masters', CN: 'nbv-dev-admin' },
    [
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage = clientAuth',
    ],
    pki,
  );

  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  writeFileSync(pki.serviceAccountKey, privateKey, { mode: 0o600 });
  writeFileSync(pki.serviceAccountPub, publicKey);
  return pki;
}

/** Self-signs when `ca` is absent, else signs with the CA. Writes NAME.crt and NAME.key. */
async function issue(
  dir: string,
  name: string,
  subject: Record<string, string>,
  extensions: string[],
  ca?: Pki,
): Promise<void> {
  const config = join(dir, `${name}.cnf`);
  writeFileSync(
    config,
    [
      '[req]',
      'prompt = no',
      'distinguished_name = dn',
      'x509_extensions = ext',
      '[dn]',
      ...Object.entries(subject).map(([k, v]) => `${k} = ${v}`),
      '[ext]',
      'subjectKeyIdentifier = hash',
      ...extensions,
      '',
    ].join('\n'),
  );
  const args = ['req', '-x509', '-config', config, '-newkey', 'ec'];
  args.push('-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '365');
  args.push('-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`));
  if (ca) args.push('-CA', ca.caCert, '-CAkey', ca.caKey);
  try {
    await run('openssl', args);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const detail =
      code === 'ENOENT'
        ? 'the openssl command was not found on PATH (Debian: apt-get install openssl)'
        : String((err as { stderr?: string }).stderr ?? err).trim();
    throw new ControlPlaneError(`create the ${name} certificate`, detail);
  }
}

/** A self-contained kubeconfig (certificates inlined) for the admin user. */
export function writeKubeconfig(path: string, server: string, pki: Pki, name = 'nbv-dev'): void {
  const data = (file: string): string => readFileSync(file).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'certificate-authority-data': data(pki.caCert) } }],
    users: [
      {
        name: `${name}-admin`,
        user: {
          'client-certificate-data': data(pki.adminCert),
          'client-key-data': data(pki.adminKey),
        },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin` } }],
    'current-context': name,
  };
  writeFileSync(path, toYaml(config), { mode: 0o600 });
}
