import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BINARY_NAMES, ensureBinaries, pinnedVersions } from './build.ts';
import { ControlPlaneError } from './errors.ts';

const kubernetesGoMod = readFileSync(
  join(import.meta.dirname, '../../../test/controlplane/kubernetes/go.mod'),
  'utf8',
);

const scratch = mkdtempSync(join(tmpdir(), 'nbv-build-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('control-plane build', () => {
  it('pins every staging module to the release of the pinned Kubernetes tag', () => {
    const { kubernetes } = pinnedVersions();
    const staging = kubernetes.replace(/^v1\./, 'v0.');
    const replaces = [...kubernetesGoMod.matchAll(/^\s*(k8s\.io\/\S+) => (\S+) (v\S+)$/gm)];
    assert.ok(replaces.length >= 30, `only ${replaces.length} replace lines`);
    for (const [line, from, to, version] of replaces) {
      assert.equal(to, from, line);
      assert.equal(version, staging, line);
    }
  });

  it('uses the binaries in NBV_CONTROLPLANE_BIN, and says which are missing', async () => {
    const dir = mkdtempSync(join(scratch, 'bin-'));
    for (const name of BINARY_NAMES.filter((n) => n !== 'kwok')) {
      writeFileSync(join(dir, name), '#!/bin/sh\n');
      chmodSync(join(dir, name), 0o755);
    }
    await assert.rejects(ensureBinaries({ env: { NBV_CONTROLPLANE_BIN: dir } }), (err) => {
      assert.ok(err instanceof ControlPlaneError);
      assert.equal(err.message, `use NBV_CONTROLPLANE_BIN: ${dir} lacks the executable kwok`);
      return true;
    });
    writeFileSync(join(dir, 'kwok'), '#!/bin/sh\n');
    chmodSync(join(dir, 'kwok'), 0o755);
    const binaries = await ensureBinaries({ env: { NBV_CONTROLPLANE_BIN: dir } });
    assert.equal(binaries.path['kube-apiserver'], join(dir, 'kube-apiserver'));
  });

  it('names the step and the fix when there is no Go toolchain', async () => {
    const empty = mkdtempSync(join(scratch, 'nogo-'));
    const env = { PATH: empty, HOME: empty, XDG_CACHE_HOME: empty };
    await assert.rejects(
      ensureBinaries({ env }),
      /^ControlPlaneError: build the control plane: the Go toolchain \(`go`\) was not found on PATH/,
    );
  });
});
