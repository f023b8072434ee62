import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { stringify } from 'yaml';
import { fromKubeconfigFiles, inCluster, loadConnection } from './connection.ts';

const dir = mkdtempSync(join(tmpdir(), 'nbv-connection-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const b64 = (text: string): string => Buffer.from(text).toString('base64');

function kubeconfig(name: string, config: object): string {
  const path = join(dir, name);
  writeFileSync(path, stringify({ apiVersion: 'v1', kind: 'Config', ...config }));
  return path;
}

const cluster = (name: string, extra: object = {}) => ({
  name,
  cluster: {
    server: `https://${name}.example:6443`,
    'certificate-authority-data': b64(`CA ${name}`),
    ...extra,
  },
});

describe('connection', () => {
  it('reads the current context: server, CA, client certificate files relative to the kubeconfig', async () => {
    writeFileSync(join(dir, 'client.crt'), 'CERT');
    writeFileSync(join(dir, 'client.key'), 'KEY');
    const path = kubeconfig('certs', {
      clusters: [cluster('one'), cluster('two', { 'tls-server-name': 'api.two' })],
      users: [
        { name: 'u', user: { 'client-certificate': 'client.crt', 'client-key': 'client.key' } },
      ],
      contexts: [
        { name: 'a', context: { cluster: 'one', user: 'u' } },
        { name: 'b', context: { cluster: 'two', user: 'u', namespace: 'team-b' } },
      ],
      'current-context': 'b',
    });
    const conn = loadConnection({ kubeconfig: path });
    assert.equal(conn.server, 'https://two.example:6443');
    assert.equal(conn.namespace, 'team-b');
    const auth = await conn.auth();
    assert.equal(auth.ca?.toString(), 'CA two');
    assert.equal(auth.cert?.toString(), 'CERT');
    assert.equal(auth.key?.toString(), 'KEY');
    assert.equal(auth.servername, 'api.two');
    assert.deepEqual(auth.headers, {});
    assert.equal(
      loadConnection({ kubeconfig: path, context: 'a' }).server,
      'https://one.example:6443',
    );
  });

  it('hands out the same TLS material until a file changes, re-reading files once a minute', async () => {
    const certFile = join(dir, 'rotating.crt');
    writeFileSync(certFile, 'CERT 1');
    const path = kubeconfig('rotating', {
      clusters: [cluster('c')],
      users: [{ name: 'u', user: { 'client-certificate': certFile, 'client-key-data': b64('K') } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'c',
    });
    let now = performance.now();
    mock.method(performance, 'now', () => now);
    after(() => mock.restoreAll());
    const conn = fromKubeconfigFiles([path]);
    const first = await conn.auth();
    const again = await conn.auth();
    // The transport keeps its connections while these stay the same objects.
    assert.equal(again.ca, first.ca);
    assert.equal(again.cert, first.cert);
    assert.equal(again.key, first.key);

    writeFileSync(certFile, 'CERT 2');
    assert.equal((await conn.auth()).cert, first.cert, 'not re-read within the minute');
    now += 61_000;
    const rotated = (await conn.auth()).cert;
    assert.equal(rotated?.toString(), 'CERT 2');
    now += 61_000;
    assert.equal((await conn.auth()).cert, rotated, 're-read but unchanged: the same Buffer');
  });

  it('merges files as kubectl does: the first definition of a name wins', () => {
    const first = kubeconfig('first', {
      clusters: [cluster('shared')],
      users: [{ name: 'u', user: { token: 't1' } }],
      contexts: [{ name: 'c', context: { cluster: 'shared', user: 'u' } }],
      'current-context': 'c',
    });
    const second = kubeconfig('second', {
      clusters: [{ name: 'shared', cluster: { server: 'https://other:1' } }],
      contexts: [],
      'current-context': 'elsewhere',
    });
    assert.equal(fromKubeconfigFiles([first, second]).server, 'https://shared.example:6443');
  });

  it('authenticates with a token, a token file, basic auth or insecure TLS as configured', async () => {
    writeFileSync(join(dir, 'token'), 'from-file\n');
    const path = kubeconfig('tokens', {
      clusters: [cluster('c', { 'insecure-skip-tls-verify': true })],
      users: [
        { name: 'token', user: { token: 'abc' } },
        { name: 'file', user: { tokenFile: 'token' } },
        { name: 'basic', user: { username: 'me', password: 'pw' } },
      ],
      contexts: ['token', 'file', 'basic'].map((u) => ({
        name: u,
        context: { cluster: 'c', user: u },
      })),
      'current-context': 'token',
    });
    const header = async (context: string) =>
      (await fromKubeconfigFiles([path], context).auth()).headers.Authorization;
    assert.equal(await header('token'), 'Bearer abc');
    assert.equal(await header('file'), 'Bearer from-file');
    assert.equal(await header('basic'), `Basic ${b64('me:pw')}`);
    assert.equal((await fromKubeconfigFiles([path]).auth()).rejectUnauthorized, false);
  });

  it('runs an exec credential plugin and reuses its credential until it expires', async () => {
    const counter = join(dir, 'exec-count');
    writeFileSync(counter, '');
    const plugin = join(dir, 'plugin.sh');
    writeFileSync(
      plugin,
      `#!/bin/sh\necho x >> "${counter}"\n` +
        `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",` +
        `"status":{"token":"'"$TOKEN_PREFIX"'-1","expirationTimestamp":"2999-01-01T00:00:00Z"}}'\n`,
    );
    chmodSync(plugin, 0o755);
    const path = kubeconfig('exec', {
      clusters: [cluster('c')],
      users: [
        {
          name: 'u',
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1',
              command: './plugin.sh',
              env: [{ name: 'TOKEN_PREFIX', value: 'exec' }],
            },
          },
        },
      ],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'c',
    });
    const conn = fromKubeconfigFiles([path]);
    assert.equal((await conn.auth()).headers.Authorization, 'Bearer exec-1');
    assert.equal((await conn.auth()).headers.Authorization, 'Bearer exec-1');
    assert.equal(readFileSync(counter, 'utf8'), 'x\n', 'the plugin ran once');
  });

  it('names what is wrong with a kubeconfig', () => {
    const noContext = kubeconfig('no-context', {
      clusters: [cluster('c')],
      users: [],
      contexts: [],
    });
    assert.throws(() => fromKubeconfigFiles([noContext]), /no current-context/);
    assert.throws(() => fromKubeconfigFiles([noContext], 'x'), /no context named x/);
    const provider = kubeconfig('provider', {
      clusters: [cluster('c')],
      users: [{ name: 'u', user: { 'auth-provider': { name: 'gcp' } } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'c',
    });
    assert.throws(() => fromKubeconfigFiles([provider]), /auth-provider gcp is not supported/);
  });

  it('in a pod: the service account token, CA and namespace, and the service address', async () => {
    const sa = mkdtempSync(join(dir, 'sa-'));
    writeFileSync(join(sa, 'token'), 'sa-token');
    writeFileSync(join(sa, 'ca.crt'), 'CLUSTER CA');
    writeFileSync(join(sa, 'namespace'), 'nbv-system\n');
    const saved = { ...process.env };
    after(() => {
      for (const name of ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT']) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    });
    process.env.KUBERNETES_SERVICE_HOST = 'fd00::1';
    process.env.KUBERNETES_SERVICE_PORT = '443';
    const conn = inCluster(sa);
    assert.equal(conn.server, 'https://[fd00::1]:443');
    assert.equal(conn.namespace, 'nbv-system');
    const auth = await conn.auth();
    assert.equal(auth.headers.Authorization, 'Bearer sa-token');
    assert.equal(auth.ca?.toString(), 'CLUSTER CA');
  });
});
