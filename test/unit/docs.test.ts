// The documentation against the code: links resolve, the `nbv` commands and flags it shows
// exist, the samples it names pass admission, and the walkthrough's shell blocks are what
// test/integration/walkthrough.test.ts expects to run.
import assert from 'node:assert/strict';
import { existsSync, globSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { adaptCommand, fencedBlocks, walkthroughSteps } from '../integration/walkthrough-blocks.ts';
import { nbv } from '../notebook/helpers.ts';

const REPO = resolve(import.meta.dirname, '..', '..');
const DOCS = [...globSync('docs/*.md', { cwd: REPO }), 'README.md'].sort();
const read = (file: string): string => readFileSync(join(REPO, file), 'utf8');

/** Markdown without its fenced blocks (links and headings live outside them). */
function prose(markdown: string): string {
  return markdown.replace(/^[ \t]*(`{3,})[^\n]*\n[\s\S]*?^[ \t]*\1[^\n]*$/gm, '');
}

/** Prose without its `inline code` (regular expressions there are not links). */
function text(markdown: string): string {
  return prose(markdown).replace(/`[^`\n]*`/g, '');
}

/**
 * `nbv` where a command starts: at the start of a line or code span, after `npx`, `$(`, a pipe
 * or a list separator (not "the nbv command" or "helm install nbv charts/nbv").
 */
const AT_COMMAND = String.raw`(?:^\s*(?:\$\s+)?|[|;&]\s*|\$\(\s*|\bnpx\s+)nbv `;

/** Every piece of code in a Markdown text: fenced blocks and `inline code`, line by line. */
function codeLines(markdown: string): string[] {
  const blocks = fencedBlocks(markdown).flatMap((b) => b.code.split('\n'));
  const inline = [...prose(markdown).matchAll(/`([^`\n]*)`/g)].map((m) => m[1] ?? '');
  return [...blocks, ...inline];
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/`/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s/g, '-');
}

function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = slug(m[1] ?? '');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** The subcommands of src/cli/main.ts's command table. */
function cliCommands(): Set<string> {
  const main = read('src/cli/main.ts');
  const table = main.slice(main.indexOf('const commands'), main.indexOf('function usage'));
  return new Set([...table.matchAll(/^ {2}([a-z][a-z-]*): \{/gm)].map((m) => m[1] ?? ''));
}

/**
 * The long options a command's parseArgs accepts (`name: { type: ... }`), in its own file and in
 * the src/cli modules it imports (option sets shared by several commands).
 */
function commandFlags(command: string): Set<string> {
  const source = read(`src/cli/commands/${command}.ts`);
  const shared = [...source.matchAll(/from '\.\.\/([\w-]+\.ts)'/g)].map((m) =>
    read(`src/cli/${m[1]}`),
  );
  return new Set(
    [source, ...shared].flatMap((text) =>
      [...text.matchAll(/(?<![\w'-])'?([a-z][a-z0-9-]*)'?: \{ type: '(?:string|boolean)'/g)].map(
        (m) => m[1] ?? '',
      ),
    ),
  );
}

describe('docs', () => {
  it('finds the documentation', () => {
    for (const doc of ['docs/README.md', 'docs/walkthrough.md', 'docs/troubleshooting.md'])
      assert.ok(DOCS.includes(doc), doc);
  });

  it('every relative link resolves to a file, and every anchor to a heading', () => {
    const broken: string[] = [];
    for (const doc of DOCS) {
      for (const m of text(read(doc)).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1] ?? '';
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path = '', anchor] = target.split('#');
        const file = path === '' ? join(REPO, doc) : resolve(REPO, dirname(doc), path);
        if (!existsSync(file)) {
          broken.push(`${doc}: ${target} (no ${relative(REPO, file)})`);
          continue;
        }
        if (anchor && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor))
          broken.push(`${doc}: ${target} (no heading #${anchor})`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it('every `nbv COMMAND` shown exists in src/cli/main.ts', () => {
    const commands = cliCommands();
    assert.ok(commands.has('run') && commands.has('operator'), [...commands].join(' '));
    const unknown = DOCS.flatMap((doc) =>
      codeLines(read(doc)).flatMap((line) =>
        [...line.matchAll(new RegExp(`${AT_COMMAND}([a-z][a-z-]*)`, 'g'))]
          .map((m) => m[1] ?? '')
          .filter((c) => !commands.has(c))
          .map((c) => `${doc}: nbv ${c} (in: ${line.trim()})`),
      ),
    );
    assert.deepEqual(unknown, []);
  });

  it('every --flag shown for nbv operator, run, submit, status and model exists', () => {
    const checked = ['operator', 'run', 'submit', 'status', 'model'];
    const flags = new Map(checked.map((c) => [c, commandFlags(c)]));
    assert.ok(flags.get('run')?.has('report-dir'), 'options are read from the sources');
    const unknown: string[] = [];
    let seen = 0;
    for (const doc of DOCS) {
      for (const line of codeLines(read(doc))) {
        // The command's own words: up to a pipe, a list separator or a redirection.
        const command = new RegExp(
          `${AT_COMMAND}(operator|run|submit|status|model)\\b([^|;&<>]*)`,
          'g',
        );
        for (const m of line.matchAll(command)) {
          const command = m[1] ?? '';
          for (const f of (m[2] ?? '').matchAll(/(?:^|\s)--([a-z][a-z0-9-]*)/g)) {
            seen++;
            if (!flags.get(command)?.has(f[1] ?? ''))
              unknown.push(`${doc}: nbv ${command} --${f[1]} (in: ${line.trim()})`);
          }
        }
      }
    }
    assert.ok(seen >= 10, `checked ${seen} flags`);
    assert.deepEqual(unknown, []);
  });

  it('every sample the docs name exists, and all samples pass admission', async () => {
    const named = new Set(
      DOCS.flatMap((doc) =>
        [...read(doc).matchAll(/config\/samples\/[\w.-]+\.yaml/g)].map((m) => m[0]),
      ),
    );
    assert.ok(named.size >= 8, [...named].join(' '));
    for (const sample of named) assert.ok(existsSync(join(REPO, sample)), sample);
    const samples = globSync('config/samples/*.yaml', { cwd: REPO }).map((f) => join(REPO, f));
    const result = await nbv(['validate', ...samples]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stderr, / 0 error\(s\)/);
  });
});

describe('docs/walkthrough.md for the walkthrough test', () => {
  const steps = walkthroughSteps(read('docs/walkthrough.md'));
  const adaptation = { operatorKubeconfig: '/tmp/op kubeconfig', metricsPort: 1, healthPort: 2 };

  it('has the dev-cluster and cleanup steps the test maps, and sh steps to run', () => {
    const kinds = steps.map((s) => s.kind);
    assert.ok(kinds.filter((k) => k === 'run').length >= 8);
    assert.equal(kinds.filter((k) => k === 'dev-cluster').length, 2, 'cluster up and down');
    assert.ok(kinds.includes('cleanup'));
    for (const s of steps.filter((s) => s.kind === 'dev-cluster'))
      assert.match(s.code, /nbv dev cluster (up|down)/);
  });

  it('starts one operator, in the background, which the test puts under its generated role', () => {
    const runs = steps.filter((s) => s.kind !== 'dev-cluster').map((s) => s.code);
    const operator = runs.filter((code) => /nbv operator/.test(code));
    assert.equal(operator.length, 1);
    const adapted = adaptCommand(operator[0] ?? '', adaptation);
    assert.match(adapted, /nbv operator --kubeconfig '\/tmp\/op kubeconfig' /);
    assert.match(adapted, /--namespace nbv-demo/);
    assert.match(adapted, /&\s*$/m, 'runs in the background');
    // No port of the doc is left for the test to clash on.
    for (const code of runs) assert.doesNotMatch(adaptCommand(code, adaptation), /\b808[01]\b/);
  });
});
