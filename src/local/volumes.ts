// The pod's volumes as host directories: a PVC is .nbv/volumes/<claimName> (or --volume
// NAME=DIR), an emptyDir a fresh temporary directory, a ConfigMap or Secret a directory of
// files written from the manifest in the YAML stream (items, modes and optional honoured).
import type { V1KeyToPath, V1Volume } from '@kubernetes/client-node';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import type { KeyValues, LocalObjects } from './manifests.ts';

export interface HostVolume {
  name: string;
  hostPath: string;
  /** Read-only whatever the mount says (ConfigMap, Secret, a read-only claim). */
  readOnly: boolean;
}

export interface VolumeOptions {
  /** Directory of the PVC directories: `.nbv/volumes` under the working directory. */
  claimsDir: string;
  /** Where emptyDirs and projected files go (removed with the run). */
  scratchDir: string;
  /** --volume NAME=DIR, NAME being a claim name or a volume name. */
  overrides: ReadonlyMap<string, string>;
}

async function project(
  dir: string,
  data: KeyValues | undefined,
  items: V1KeyToPath[] | undefined,
  defaultMode: number,
  what: string,
): Promise<void> {
  if (!data) return;
  const wanted: V1KeyToPath[] = items ?? [...data.keys()].map((key) => ({ key, path: key }));
  for (const item of wanted) {
    const value = data.get(item.key);
    if (value === undefined)
      throw new UserError(`${what} has no key "${item.key}" (named in items)`);
    const file = resolve(dir, item.path);
    if (!file.startsWith(`${dir}/`))
      throw new UserError(`${what}: item path ${item.path} leaves the volume`);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, value);
    await chmod(file, item.mode ?? defaultMode);
  }
}

export async function materializeVolumes(
  volumes: readonly V1Volume[],
  objects: LocalObjects,
  options: VolumeOptions,
): Promise<Map<string, HostVolume>> {
  const out = new Map<string, HostVolume>();
  for (const v of volumes) {
    if (v.persistentVolumeClaim) {
      const claim = v.persistentVolumeClaim.claimName;
      const hostPath = resolve(
        options.overrides.get(claim) ??
          options.overrides.get(v.name) ??
          join(options.claimsDir, claim),
      );
      await mkdir(hostPath, { recursive: true });
      out.set(v.name, {
        name: v.name,
        hostPath,
        readOnly: v.persistentVolumeClaim.readOnly === true,
      });
    } else if (v.emptyDir) {
      const hostPath =
        options.overrides.get(v.name) ?? (await mkdtemp(join(options.scratchDir, `${v.name}-`)));
      out.set(v.name, { name: v.name, hostPath, readOnly: false });
    } else if (v.configMap || v.secret) {
      const isSecret = v.secret !== undefined;
      const name = (isSecret ? v.secret?.secretName : v.configMap?.name) ?? '';
      const kind = isSecret ? 'Secret' : 'ConfigMap';
      const data = (isSecret ? objects.secrets : objects.configMaps).get(name);
      const optional = (isSecret ? v.secret?.optional : v.configMap?.optional) === true;
      if (!data && !optional) {
        throw new UserError(
          `volume "${v.name}" needs ${kind} "${name}", which is not in the YAML stream (add it, or mark the volume optional)`,
        );
      }
      const hostPath = await mkdtemp(join(options.scratchDir, `${v.name}-`));
      const source = isSecret ? v.secret : v.configMap;
      await project(
        hostPath,
        data,
        source?.items,
        source?.defaultMode ?? 0o644,
        `${kind} "${name}"`,
      );
      out.set(v.name, { name: v.name, hostPath, readOnly: true });
    } else {
      throw new UserError(
        `volume "${v.name}" has a source nbv run cannot provide (PVC, emptyDir, ConfigMap and Secret are supported)`,
      );
    }
  }
  return out;
}
