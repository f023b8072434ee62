// The shell blocks of docs/walkthrough.md, and the few changes the walkthrough test makes to them
// before it runs them (pure functions, so test/unit/docs.test.ts can check them without a
// cluster). Every fenced block whose info string starts with `sh` is a step; words after `sh`
// mark the special ones:
//
//   ```sh dev-cluster  starts or stops the development cluster. The test does not run it: the
//                      test run's global setup has started the control plane already, and the
//                      test points KUBECONFIG at it (the block's only effect for a reader).
//   ```sh cleanup      deletes what the walkthrough made. The test runs it after its assertions.
//
// Changes to the commands (adaptCommand), each because the test runs beside other tests:
//   - `nbv operator` gets `--kubeconfig FILE`: the operator runs under the role that
//     `nbv install --print` generates (test/integration/operator.ts), never as admin, so a
//     missing permission fails the test. A reader's operator uses their own kubeconfig.
//   - the metrics and health ports 8080 and 8081 become free ports, in the operator's flags and
//     in the URLs that reach them, so that nothing else on the machine clashes with them.

export interface FencedBlock {
  /** The first word of the info string (`sh`, `yaml`, ...); empty when there is none. */
  lang: string;
  /** The other words of the info string. */
  tags: string[];
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

/** Every fenced (```) block of a Markdown text, in order. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    // Fences may be indented (inside list items); the body keeps its own indentation.
    const open = /^\s*(`{3,})(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    const fence = open[1] ?? '```';
    const [lang = '', ...tags] = (open[2] ?? '').trim().split(/\s+/).filter(Boolean);
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j] ?? '').trimStart().startsWith(fence))
      body.push(lines[j++] ?? '');
    blocks.push({ lang, tags, code: body.join('\n'), line: i + 1 });
    i = j;
  }
  return blocks;
}

export type StepKind = 'run' | 'dev-cluster' | 'cleanup';

export interface Step extends FencedBlock {
  kind: StepKind;
}

/** The `sh` blocks of the walkthrough with what the test does with each. */
export function walkthroughSteps(markdown: string): Step[] {
  return fencedBlocks(markdown)
    .filter((b) => b.lang === 'sh')
    .map((b) => {
      const unknown = b.tags.filter((t) => t !== 'dev-cluster' && t !== 'cleanup');
      if (unknown.length > 0)
        throw new Error(`line ${b.line}: unknown mark "${unknown.join(' ')}" on a sh block`);
      const kind: StepKind = b.tags.includes('dev-cluster')
        ? 'dev-cluster'
        : b.tags.includes('cleanup')
          ? 'cleanup'
          : 'run';
      return { ...b, kind };
    });
}

export interface Adaptation {
  /** Kubeconfig of the operator's generated role. */
  operatorKubeconfig: string;
  metricsPort: number;
  healthPort: number;
}

export const DOC_METRICS_PORT = 8080;
export const DOC_HEALTH_PORT = 8081;

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** A block's commands as the test runs them; see the header for each change. */
export function adaptCommand(code: string, a: Adaptation): string {
  return code
    .replace(/\bnbv operator\b/g, `nbv operator --kubeconfig ${quote(a.operatorKubeconfig)}`)
    .replace(
      new RegExp(`--metrics-port[ =]${DOC_METRICS_PORT}\\b`, 'g'),
      `--metrics-port ${a.metricsPort}`,
    )
    .replace(
      new RegExp(`--health-port[ =]${DOC_HEALTH_PORT}\\b`, 'g'),
      `--health-port ${a.healthPort}`,
    )
    .replace(
      new RegExp(`127\\.0\\.0\\.1:${DOC_METRICS_PORT}\\b`, 'g'),
      `127.0.0.1:${a.metricsPort}`,
    )
    .replace(new RegExp(`127\\.0\\.0\\.1:${DOC_HEALTH_PORT}\\b`, 'g'), `127.0.0.1:${a.healthPort}`);
}
