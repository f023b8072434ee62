// Ensures the control-plane binaries exist: the folder in NBV_CONTROLPLANE_BIN when a person
// brings their own, else the cache folder that go-build.ts fills from the wrapper modules in
// test/controlplane/ (their go.mod files pin the versions).
import { join, resolve } from 'node:path';
import { ControlPlaneError } from './errors.ts';
import { ensureBuilt, goCommand, pinnedVersion, type GoBuild, type GoModule } from '../go-build.ts';
import { isExecutable } from '../../util/fs.ts';

export const BINARY_NAMES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'kwok',
] as const;
type BinaryName = (typeof BINARY_NAMES)[number];

export interface Binaries {
  dir: string;
  path: Record<BinaryName, string>;
}

const MODULES_DIR = resolve(import.meta.dirname, '../../../test/controlplane');

const ETCD: GoModule = {
  dir: join(MODULES_DIR, 'etcd'),
  module: 'go.etcd.io/etcd/server/v3',
  packages: { etcd: 'go.etcd.io/etcd/server/v3' },
};
const KWOK: GoModule = {
  dir: join(MODULES_DIR, 'kwok'),
  module: 'sigs.k8s.io/kwok',
  packages: { kwok: 'sigs.k8s.io/kwok/cmd/kwok' },
};
const KUBERNETES: GoModule = {
  dir: join(MODULES_DIR, 'kubernetes'),
  module: 'k8s.io/kubernetes',
  packages: {
    'kube-apiserver': 'k8s.io/kubernetes/cmd/kube-apiserver',
    'kube-controller-manager': 'k8s.io/kubernetes/cmd/kube-controller-manager',
    'kube-scheduler': 'k8s.io/kubernetes/cmd/kube-scheduler',
    kubectl: 'k8s.io/kubernetes/cmd/kubectl',
  },
};

const CONTROL_PLANE: GoBuild = {
  kind: 'controlplane',
  // This order is the cache key's: existing caches keep their names.
  modules: [ETCD, KWOK, KUBERNETES],
  step: 'build the control plane',
  instead: `set NBV_CONTROLPLANE_BIN to a folder with ${BINARY_NAMES.join(', ')}`,
  label: ([etcd, kwok, kubernetes]) => `k8s-${kubernetes}_etcd-${etcd}_kwok-${kwok}`,
  ldflags: (module, _version, env) =>
    module === KUBERNETES ? kubernetesVersionFlags(env) : Promise.resolve([]),
};

export function pinnedVersions(): { kubernetes: string; etcd: string; kwok: string } {
  return {
    kubernetes: pinnedVersion(KUBERNETES),
    etcd: pinnedVersion(ETCD),
    kwok: pinnedVersion(KWOK),
  };
}

function binariesIn(dir: string): Binaries {
  const path = Object.fromEntries(BINARY_NAMES.map((name) => [name, join(dir, name)]));
  return { dir, path: path as Record<BinaryName, string> };
}

export interface EnsureOptions {
  env?: NodeJS.ProcessEnv;
  /** Progress lines ("go build kube-apiserver ..."). */
  log?: (line: string) => void;
}

export async function ensureBinaries(options: EnsureOptions = {}): Promise<Binaries> {
  const { env = process.env, log = () => {} } = options;
  const own = env.NBV_CONTROLPLANE_BIN;
  if (own) {
    const missing = BINARY_NAMES.filter((name) => !isExecutable(join(own, name)));
    if (missing.length > 0) {
      throw new ControlPlaneError(
        'use NBV_CONTROLPLANE_BIN',
        `${own} lacks the executable ${missing.join(', ')}`,
      );
    }
    return binariesIn(own);
  }
  return binariesIn(await ensureBuilt(CONTROL_PLANE, env, log));
}

/**
 * What hack/lib/version.sh would stamp, so that /version and `kubectl version` report the real
 * release. The build date is the tag's commit time from the module proxy, so builds repeat.
 */
async function kubernetesVersionFlags(env: NodeJS.ProcessEnv): Promise<string[]> {
  const args = ['list', '-mod=readonly', '-m', '-json', KUBERNETES.module];
  const step = { step: 'read the Kubernetes version', instead: CONTROL_PLANE.instead };
  const info = JSON.parse(await goCommand(step, KUBERNETES.dir, args, env)) as {
    Version: string;
    Time?: string;
  };
  const [, major, minor] = /^v(\d+)\.(\d+)\./.exec(info.Version) ?? [];
  const values: Record<string, string | undefined> = {
    gitVersion: info.Version,
    gitMajor: major,
    gitMinor: minor,
    gitTreeState: 'clean',
    buildDate: info.Time?.replace(/\.\d+Z$/, 'Z'),
  };
  const flags: string[] = [];
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    for (const [key, value] of Object.entries(values)) {
      if (value) flags.push(`-X=${pkg}.${key}=${value}`);
    }
  }
  return flags;
}
