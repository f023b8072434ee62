import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SYSTEM_PATHS, bwrapArgs } from './sandbox.ts';

describe('bwrapArgs', () => {
  const args = bwrapArgs(
    {
      systemPaths: [...SYSTEM_PATHS, '/usr'],
      mounts: [
        { hostPath: '/host/models/sub', target: '/models/sub', readOnly: true },
        { hostPath: '/host/models', target: '/models', readOnly: false },
        { hostPath: '/host/creds', target: '/etc/nbv/git-credentials', readOnly: true },
      ],
      cwd: '/workspace',
    },
    ['/bin/sh', '-c', 'true'],
  );
  const pairs = (flag: string) =>
    args.flatMap((a, i) => (a === flag ? [[args[i + 1], args[i + 2]]] : []));

  it('never binds the host root, and binds system folders read-only', () => {
    for (const flag of ['--bind', '--ro-bind'])
      assert.ok(!pairs(flag).some(([src]) => src === '/'), flag);
    assert.ok(pairs('--ro-bind').some(([src, dst]) => src === '/usr' && dst === '/usr'));
    assert.equal(pairs('--ro-bind').filter(([src]) => src === '/usr').length, 1, 'bound once');
  });

  it('mounts volumes at their paths, shallow before deep, honouring readOnly', () => {
    const models = args.indexOf('/host/models');
    const sub = args.indexOf('/host/models/sub');
    assert.ok(models > 0 && sub > models);
    assert.equal(args[models - 1], '--bind');
    assert.equal(args[sub - 1], '--ro-bind');
  });

  it('makes /etc a tmpfs of read-only binds when a mount point must be created inside it', () => {
    assert.ok(args.includes('--tmpfs') && args[args.indexOf('--tmpfs') + 1] === '/etc');
    assert.ok(pairs('--ro-bind').some(([src]) => src === '/etc/passwd'));
    assert.deepEqual(args.slice(-4), ['--', '/bin/sh', '-c', 'true']);
  });
});
