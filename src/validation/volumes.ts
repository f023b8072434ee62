// ADR-053 admission rules for the user's volumes and volume mounts of a validation pod.
import { isDnsSubdomain } from '../api/common.ts';
import type { PodConfig, Volume } from '../api/notebookvalidationjob.ts';
import { RESERVED_MOUNT_PATHS, RESERVED_VOLUME_NAMES } from '../builders/pod-layout.ts';
import { checkSubPath } from '../storage/pvc-uri.ts';
import { error, warning, type PathSegment, type Problem } from './problems.ts';

export const VOLUME_SOURCES = ['persistentVolumeClaim', 'configMap', 'secret', 'emptyDir'] as const;

/** Reason for a volume source key that nbv refuses (hostPath above all). */
export function unsupportedVolumeSource(key: string): string {
  const why =
    key === 'hostPath'
      ? "hostPath volumes expose the node's filesystem and are never allowed"
      : `volume source "${key}" is not supported`;
  return `${why}; use one of ${VOLUME_SOURCES.join(', ')}`;
}

function sourcesOf(volume: Volume): string[] {
  return VOLUME_SOURCES.filter((s) => volume[s] !== undefined);
}

function checkName(path: PathSegment[], name: string, what: string): Problem[] {
  return isDnsSubdomain(name)
    ? []
    : [
        error(
          path,
          `${what} "${name}" must be a valid object name (lowercase letters, digits, "-" and ".")`,
        ),
      ];
}

function checkItems(path: PathSegment[], items: { path: string }[] | undefined): Problem[] {
  return (items ?? []).flatMap((item, i) => {
    const problem = item.path.split('/').includes('..') ? 'must not contain ".."' : undefined;
    return problem ? [error([...path, 'items', i, 'path'], problem)] : [];
  });
}

function checkVolume(volume: Volume, i: number, base: PathSegment[]): Problem[] {
  const path = [...base, i];
  const problems: Problem[] = [];
  const sources = sourcesOf(volume);
  if (sources.length === 0) {
    problems.push(
      error(path, `volume "${volume.name}" needs exactly one source: ${VOLUME_SOURCES.join(', ')}`),
    );
  } else if (sources.length > 1) {
    problems.push(
      error(
        path,
        `volume "${volume.name}" has ${sources.length} sources (${sources.join(', ')}); exactly one is allowed`,
      ),
    );
  }
  if (RESERVED_VOLUME_NAMES.includes(volume.name)) {
    problems.push(error([...path, 'name'], `"${volume.name}" is reserved for nbv's own volumes`));
  }
  if (volume.persistentVolumeClaim) {
    problems.push(
      ...checkName(
        [...path, 'persistentVolumeClaim', 'claimName'],
        volume.persistentVolumeClaim.claimName,
        'claim name',
      ),
    );
  }
  if (volume.configMap) {
    problems.push(
      ...checkName([...path, 'configMap', 'name'], volume.configMap.name, 'ConfigMap name'),
    );
    problems.push(...checkItems([...path, 'configMap'], volume.configMap.items));
  }
  if (volume.secret) {
    problems.push(
      ...checkName([...path, 'secret', 'secretName'], volume.secret.secretName, 'Secret name'),
    );
    problems.push(...checkItems([...path, 'secret'], volume.secret.items));
  }
  return problems;
}

function isUnder(path: string, base: string): boolean {
  return path === base || path.startsWith(base.endsWith('/') ? base : `${base}/`);
}

function normaliseMountPath(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

export function validateVolumes(
  podConfig: PodConfig,
  base: PathSegment[] = ['spec', 'podConfig'],
): Problem[] {
  const volumes = podConfig.volumes ?? [];
  const mounts = podConfig.volumeMounts ?? [];
  const problems: Problem[] = volumes.flatMap((v, i) => checkVolume(v, i, [...base, 'volumes']));

  const firstIndex = new Map<string, number>();
  volumes.forEach((v, i) => {
    const first = firstIndex.get(v.name);
    if (first === undefined) firstIndex.set(v.name, i);
    else
      problems.push(
        error(
          [...base, 'volumes', i, 'name'],
          `duplicate volume name "${v.name}" (also volumes[${first}])`,
        ),
      );
  });

  const mountPaths = new Map<string, number>();
  mounts.forEach((m, i) => {
    const path = [...base, 'volumeMounts', i];
    if (!firstIndex.has(m.name)) {
      problems.push(error([...path, 'name'], `no volume named "${m.name}" in podConfig.volumes`));
    }
    const mountPath = normaliseMountPath(m.mountPath);
    if (mountPath === '/') problems.push(error([...path, 'mountPath'], 'must not be "/"'));
    if (mountPath.split('/').includes('..'))
      problems.push(error([...path, 'mountPath'], 'must not contain ".."'));
    const reserved = RESERVED_MOUNT_PATHS.find((r) => isUnder(mountPath, r));
    if (reserved)
      problems.push(
        error(
          [...path, 'mountPath'],
          `"${m.mountPath}" is inside ${reserved}, which nbv or the system uses`,
        ),
      );
    const other = mountPaths.get(mountPath);
    if (other !== undefined)
      problems.push(
        error(
          [...path, 'mountPath'],
          `duplicate mountPath "${m.mountPath}" (also volumeMounts[${other}])`,
        ),
      );
    else mountPaths.set(mountPath, i);
    if (m.subPath !== undefined && m.subPath !== '') {
      const problem = checkSubPath(m.subPath);
      if (problem) problems.push(error([...path, 'subPath'], problem));
    }
  });

  const mounted = new Set(mounts.map((m) => m.name));
  volumes.forEach((v, i) => {
    if (!mounted.has(v.name))
      problems.push(
        warning([...base, 'volumes', i], `volume "${v.name}" is not mounted by any volumeMount`),
      );
  });
  return problems;
}
