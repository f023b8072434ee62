// Ensures a helm binary for the chart tests: NBV_HELM when a person brings their own, else one
// that go-build.ts builds once from the wrapper module test/helm/ (whose go.mod pins the version)
// into the same cache as the control plane, ${XDG_CACHE_HOME:-~/.cache}/nbv/helm/.
import { join, resolve } from 'node:path';
import { ControlPlaneError } from './controlplane/errors.ts';
import { ensureBuilt, type GoBuild } from './go-build.ts';
import { isExecutable } from '../util/fs.ts';

const HELM_MODULE = 'helm.sh/helm/v4';

const HELM: GoBuild = {
  kind: 'helm',
  modules: [
    {
      dir: resolve(import.meta.dirname, '../../test/helm'),
      module: HELM_MODULE,
      packages: { helm: `${HELM_MODULE}/cmd/helm` },
    },
  ],
  step: 'build helm',
  instead: 'set NBV_HELM to a helm binary',
  label: ([version]) => `helm-${version}`,
  ldflags: (_module, version) =>
    Promise.resolve(['-X', `${HELM_MODULE}/internal/version.version=${version}`]),
};

/** The path of a helm binary, building it first when the cache has none. */
export async function ensureHelm(
  options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<string> {
  const { env = process.env, log = () => {} } = options;
  if (env.NBV_HELM) {
    if (!isExecutable(env.NBV_HELM))
      throw new ControlPlaneError('use NBV_HELM', `${env.NBV_HELM} is not an executable file`);
    return env.NBV_HELM;
  }
  return join(await ensureBuilt(HELM, env, log), 'helm');
}
