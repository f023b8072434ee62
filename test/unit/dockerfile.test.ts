// No Docker here: the Dockerfile is linted as text (pinned multi-stage bases, numeric non-root
// USER, exec-form ENTRYPOINT/CMD, no ADD, only production dependencies in the image, sources that
// .dockerignore lets through), and the image's entrypoint is run as a process on a copy of what
// the image holds (bin/, package.json, the compiled dist/) laid out as /app.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  globSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BaseModel } from '../../src/api/ome.ts';
import { DEFAULT_IMAGES } from '../../src/builders/images.ts';
import {
  DEFAULT_METADATA_JOB_SETTINGS,
  buildMetadataJob,
} from '../../src/builders/metadata-job.ts';
import { installManifests } from '../../src/install/manifests.ts';
import { TINY_LLAMA_CONFIG } from '../../src/model/fixtures.ts';
import { parsePvcStorageUri } from '../../src/storage/pvc-uri.ts';

const root = join(import.meta.dirname, '../..');

interface Instruction {
  line: number;
  keyword: string;
  args: string;
}

/** Dockerfile instructions: continuation lines joined, comments and blank lines dropped. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { line: number; text: string } | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) return;
    if (pending && line.startsWith('#')) return;
    const continued = line.endsWith('\\');
    const part = continued ? line.slice(0, -1) : line;
    pending = pending
      ? { ...pending, text: `${pending.text} ${part}` }
      : { line: index + 1, text: part };
    if (continued) return;
    const [keyword = '', ...rest] = pending.text.trim().split(/\s+/);
    out.push({ line: pending.line, keyword: keyword.toUpperCase(), args: rest.join(' ') });
    pending = undefined;
  });
  return out;
}

interface Stage {
  base: string;
  name?: string;
  instructions: Instruction[];
}

function stages(instructions: Instruction[]): Stage[] {
  const out: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const [base = '', as, name] = words;
      out.push({ base, ...(as?.toUpperCase() === 'AS' && name ? { name } : {}), instructions: [] });
    } else {
      const current = out.at(-1);
      assert.ok(current, `line ${ins.line}: ${ins.keyword} before FROM`);
      current.instructions.push(ins);
    }
  }
  return out;
}

/** An exec-form argument list (a JSON array of strings), or undefined for the shell form. */
function execForm(args: string): string[] | undefined {
  try {
    const parsed = JSON.parse(args) as unknown;
    return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** .dockerignore as Docker reads it: the last matching pattern wins, `!` re-includes. */
function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const include = l.startsWith('!');
      const glob = (include ? l.slice(1) : l).replace(/^\/+/, '');
      const source = glob
        .split('**')
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
        )
        .join('.*');
      // A pattern that matches a folder matches everything in it.
      return { include, pattern: new RegExp(`^${source}(/.*)?$`) };
    });
  return (path) => {
    let excluded = false;
    for (const rule of rules) if (rule.pattern.test(path)) excluded = !rule.include;
    return !excluded;
  };
}

const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const instructions = parseDockerfile(dockerfile);
const allStages = stages(instructions);
const final = allStages.at(-1);
const entrypoint = execForm(instructions.findLast((i) => i.keyword === 'ENTRYPOINT')?.args ?? '');
const cmd = execForm(instructions.findLast((i) => i.keyword === 'CMD')?.args ?? '[]');

describe('Dockerfile lint', () => {
  it('is multi-stage on pinned Node.js 24 bases, never latest', () => {
    assert.ok(allStages.length >= 2, 'multi-stage');
    const names = new Set<string>();
    for (const stage of allStages) {
      if (!names.has(stage.base)) {
        assert.match(
          stage.base,
          /^[\w./-]+:[\w.-]+$|@sha256:[0-9a-f]{64}$/,
          `${stage.base}: pin a tag`,
        );
        assert.doesNotMatch(stage.base, /:latest$/, stage.base);
        assert.match(
          stage.base,
          /^(docker\.io\/(library\/)?)?node:24\.\d+\.\d+-/,
          `${stage.base}: node 24.x.y`,
        );
      }
      if (stage.name) names.add(stage.name);
    }
    assert.equal(
      new Set(allStages.filter((s) => !names.has(s.base)).map((s) => s.base)).size,
      1,
      'one base image',
    );
  });

  it('runs as a numeric non-root user', () => {
    const user = final?.instructions.findLast((i) => i.keyword === 'USER')?.args;
    assert.ok(user, 'the final stage sets USER');
    const [uid, gid] = user.split(':');
    assert.match(uid ?? '', /^\d+$/, 'numeric uid (runAsNonRoot can check it)');
    assert.notEqual(Number(uid), 0);
    if (gid !== undefined) assert.notEqual(Number(gid), 0);
    const deployment = installManifests().find((o) => o.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { securityContext: { runAsUser: number } } } };
    };
    assert.equal(deployment.spec.template.spec.securityContext.runAsUser, Number(uid));
  });

  it('has exec-form ENTRYPOINT and CMD', () => {
    assert.ok(entrypoint, 'ENTRYPOINT is a JSON array');
    assert.ok(cmd, 'CMD is a JSON array');
  });

  it('uses COPY, never ADD (no remote URLs, no archive magic)', () => {
    assert.deepEqual(
      instructions.filter((i) => i.keyword === 'ADD').map((i) => `line ${i.line}: ADD ${i.args}`),
      [],
    );
    for (const i of instructions.filter((x) => x.keyword === 'RUN'))
      assert.doesNotMatch(i.args, /\b(curl|wget)\b/, `line ${i.line}: downloads`);
  });

  it('puts only production dependencies into the final image', () => {
    const depsStage = allStages.find((s) =>
      s.instructions.some((i) => i.keyword === 'RUN' && /npm ci\b.*--omit=dev/.test(i.args)),
    );
    assert.ok(depsStage?.name, 'a stage runs npm ci --omit=dev');
    const copies = final?.instructions.filter((i) => i.keyword === 'COPY') ?? [];
    const modules = copies.filter((i) => /node_modules/.test(i.args));
    assert.deepEqual(
      modules.map((i) => i.args.match(/--from=(\S+)/)?.[1]),
      [depsStage.name],
      'node_modules come from the production-only stage',
    );
    assert.ok(
      final?.instructions.every((i) => i.keyword !== 'RUN' || !/npm (ci|install)/.test(i.args)),
    );
  });

  it('copies sources that exist and that .dockerignore lets into the context', () => {
    const included = dockerignore(readFileSync(join(root, '.dockerignore'), 'utf8'));
    for (const path of [
      'node_modules/yaml/package.json',
      '.git/HEAD',
      'dist/cli/main.js',
      '.nbv/x',
      'test/unit/x.ts',
    ])
      assert.ok(!included(path), `${path} stays out of the build context`);
    assert.ok(!included('src/install/manifests.test.ts'), 'tests stay out');
    for (const i of instructions.filter(
      (x) => x.keyword === 'COPY' && !x.args.includes('--from='),
    )) {
      const words = execForm(i.args) ?? i.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      for (const source of words.slice(0, -1)) {
        const files = globSync(`${source.replace(/\/$/, '')}{,/**}`, { cwd: root }).filter((f) =>
          included(f),
        );
        assert.ok(files.length > 0, `line ${i.line}: ${source} is missing or ignored`);
      }
    }
  });
});

describe('image entrypoint', () => {
  // What the final stage holds, laid out as the image's /app: the compiled dist/, bin/ and
  // package.json; node_modules is linked (the image has the production subset of it).
  const scratch = mkdtempSync(join(tmpdir(), 'nbv-image-'));
  const app = join(scratch, 'app');
  before(() => {
    mkdirSync(app);
    execFileSync(
      process.execPath,
      [
        join(root, 'node_modules/typescript/bin/tsc'),
        '-p',
        join(root, 'tsconfig.build.json'),
        '--outDir',
        join(app, 'dist'),
      ],
      { stdio: 'pipe' },
    );
    cpSync(join(root, 'bin'), join(app, 'bin'), { recursive: true });
    cpSync(join(root, 'package.json'), join(app, 'package.json'));
    symlinkSync(join(root, 'node_modules'), join(app, 'node_modules'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  /** ENTRYPOINT + args, with the image's /app at `appDir`. */
  const runImage = (appDir: string, args: string[]) => {
    assert.ok(entrypoint);
    const [program, ...rest] = entrypoint.map((a) => a.replace(/^\/app(?=\/|$)/, appDir));
    assert.equal(program, 'node', 'the image runs node');
    return spawnSync(process.execPath, [...rest, ...args], {
      cwd: appDir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: scratch },
    });
  };

  it('the default CMD prints the usage, from the compiled sources', () => {
    const result = runImage(app, cmd ?? []);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /Usage: nbv COMMAND/);
    assert.match(result.stdout, /\boperator\b/);
  });

  it('runs the commands the operator Deployment and the pods pass as args', () => {
    const operator = runImage(app, ['operator', '--help']);
    assert.equal(operator.status, 0, operator.stderr);
    assert.match(operator.stdout, /--self-signed-certs/);
    // The report step gets its configuration from the pod; without it, it says so.
    const report = runImage(app, ['report']);
    assert.equal(report.status, 2, report.stderr);
    assert.match(report.stderr, /NBV_REPORT_CONFIG is not set/);
  });

  it("runs the metadata Job's args on a model folder", () => {
    const modelDir = join(scratch, 'model');
    mkdirSync(modelDir);
    writeFileSync(join(modelDir, 'config.json'), JSON.stringify(TINY_LLAMA_CONFIG));
    const uri = 'pvc://claim/m';
    const claim = parsePvcStorageUri(uri);
    assert.ok(claim.ok);
    const model = BaseModel.parse({
      apiVersion: 'ome.io/v1beta1',
      kind: 'BaseModel',
      metadata: { name: 'm', namespace: 'ns' },
      spec: { storage: { storageUri: uri } },
    });
    const job = buildMetadataJob(model, claim.value, 'ns', {
      images: DEFAULT_IMAGES,
      ...DEFAULT_METADATA_JOB_SETTINGS,
    });
    const container = job.spec?.template.spec?.containers[0];
    assert.equal(container?.command, undefined, 'the Job relies on the entrypoint');
    const termination = join(scratch, 'termination-log');
    const args = (container?.args ?? []).map((a) =>
      a === '/model' ? modelDir : a === '/dev/termination-log' ? termination : a,
    );
    const result = runImage(app, args);
    assert.equal(result.status, 0, result.stderr);
    const message = JSON.parse(readFileSync(termination, 'utf8')) as {
      ok: boolean;
      metadata: { modelType: string };
    };
    assert.equal(message.metadata.modelType, 'llama');
  });

  it('also runs with the repository as /app (TypeScript sources)', () => {
    const result = runImage(root, ['--help']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /Usage: nbv COMMAND/);
  });
});
