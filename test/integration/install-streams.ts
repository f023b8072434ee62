// The three ways to install nbv, as object lists for the install tests: `nbv install --print`,
// `kubectl kustomize config/...` and `helm template charts/nbv`. Helm is built lazily (cached
// under ~/.cache/nbv/helm) by src/dev/helm.ts the first time a test asks for it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { ensureHelm } from '../../src/dev/helm.ts';
import type { ManifestObject } from '../../src/install/manifests.ts';
import { toYaml } from '../../src/util/yaml.ts';
import { kubectl } from './cluster.ts';

export const REPO = join(import.meta.dirname, '..', '..');

export function parseStream(text: string): ManifestObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as ManifestObject | null)
    .filter((o): o is ManifestObject => o !== null && typeof o === 'object');
}

export function toStream(objects: ManifestObject[]): string {
  return objects.map((o) => `---\n${toYaml(o)}`).join('');
}

export const objectKey = (o: ManifestObject): string =>
  `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** The same objects, whatever the order; a failure names the first object that differs. */
export function assertSameObjects(actual: ManifestObject[], expected: ManifestObject[]): void {
  const plain = (o: ManifestObject) => JSON.parse(JSON.stringify(o)) as ManifestObject;
  const want = new Map(expected.map((o) => [objectKey(o), plain(o)]));
  const got = new Map(actual.map((o) => [objectKey(o), plain(o)]));
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), 'the same objects');
  for (const [key, object] of got) {
    if (!isDeepStrictEqual(object, want.get(key))) assert.deepEqual(object, want.get(key), key);
  }
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: REPO, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

let helmBinary: Promise<string> | undefined;

/** Runs helm (built on first use) in the repository. */
export async function helm(args: string[]): Promise<string> {
  helmBinary ??= ensureHelm({ log: (line) => process.stderr.write(`[helm] ${line}\n`) });
  return run(await helmBinary, args);
}

/** `helm template` of charts/nbv with --include-crds, as objects. */
export async function helmTemplate(
  namespace: string,
  set: string[] = [],
): Promise<ManifestObject[]> {
  const args = ['template', 'nbv', 'charts/nbv', '--namespace', namespace, '--include-crds'];
  return parseStream(await helm([...args, ...set.flatMap((s) => ['--set', s])]));
}

/** `kubectl kustomize DIR` (kustomize built into kubectl), as objects. */
export async function kustomize(dir: string): Promise<ManifestObject[]> {
  return parseStream(await kubectl(['kustomize', join(REPO, dir)]));
}

export async function nbvInstallPrint(args: string[] = []): Promise<ManifestObject[]> {
  return parseStream(
    await run(process.execPath, [join(REPO, 'bin', 'nbv.js'), 'install', '--print', ...args]),
  );
}
