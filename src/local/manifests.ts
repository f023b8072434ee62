// The objects of a YAML stream that `nbv run` uses: the job, and the Secrets and ConfigMaps
// that its volumes, env and git credentials name (a cluster would have them; locally they come
// from the same stream).
import type { ManifestStream } from '../api/manifest-file.ts';
import { UserError } from '../errors.ts';
import { NVJ_KIND } from '../api/notebookvalidationjob.ts';

export type KeyValues = Map<string, Buffer>;

export interface LocalObjects {
  /** The raw NotebookValidationJob, not yet admitted. */
  job: unknown;
  secrets: Map<string, KeyValues>;
  configMaps: Map<string, KeyValues>;
}

type Obj = {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown };
  data?: unknown;
  stringData?: unknown;
  binaryData?: unknown;
};

function entries(value: unknown, decode: (v: string) => Buffer, where: string): [string, Buffer][] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value))
    throw new UserError(`${where} must be a mapping of keys to strings`);
  return Object.entries(value as Record<string, unknown>).map(([k, v]) => {
    if (typeof v !== 'string') throw new UserError(`${where}.${k} must be a string`);
    return [k, decode(v)];
  });
}

const base64 = (where: string) => (v: string) => {
  if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(v)) throw new UserError(`${where}: not base64`);
  return Buffer.from(v, 'base64');
};

export function localObjects(stream: ManifestStream, file: string, jobName?: string): LocalObjects {
  const jobs: Obj[] = [];
  const secrets = new Map<string, KeyValues>();
  const configMaps = new Map<string, KeyValues>();
  for (const { object } of stream.documents) {
    const o = (object ?? {}) as Obj;
    const name = typeof o.metadata?.name === 'string' ? o.metadata.name : '';
    if (o.kind === NVJ_KIND) jobs.push(o);
    else if (o.apiVersion === 'v1' && o.kind === 'Secret') {
      const where = `${file}: Secret/${name}`;
      secrets.set(
        name,
        new Map([
          ...entries(o.data, base64(`${where} data`), `${where} data`),
          ...entries(o.stringData, (v) => Buffer.from(v), `${where} stringData`),
        ]),
      );
    } else if (o.apiVersion === 'v1' && o.kind === 'ConfigMap') {
      const where = `${file}: ConfigMap/${name}`;
      configMaps.set(
        name,
        new Map([
          ...entries(o.data, (v) => Buffer.from(v), `${where} data`),
          ...entries(o.binaryData, base64(`${where} binaryData`), `${where} binaryData`),
        ]),
      );
    }
  }
  const names = jobs.map((j) => String(j.metadata?.name ?? ''));
  const chosen = jobName === undefined ? jobs : jobs.filter((j) => j.metadata?.name === jobName);
  if (chosen.length === 0) {
    throw new UserError(
      jobName === undefined
        ? `${file}: no ${NVJ_KIND} in the file`
        : `${file}: no ${NVJ_KIND} named "${jobName}" (found: ${names.join(', ') || 'none'})`,
    );
  }
  if (chosen.length > 1)
    throw new UserError(
      `${file}: ${chosen.length} ${NVJ_KIND}s (${names.join(', ')}); choose one with --name`,
    );
  return { job: chosen[0], secrets, configMaps };
}
