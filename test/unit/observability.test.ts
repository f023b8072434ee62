// The observability extras: the Grafana dashboard only queries metrics (and labels) that the
// operator registers, and the Argo CD health check, run by a real Lua 5.4, maps phases to health.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { parse } from 'yaml';
import { NvjMetrics } from '../../src/controllers/notebookvalidationjob/metrics.ts';
import { ARGOCD_HEALTH_KEY } from '../../src/install/generated.ts';
import { RuntimeMetrics } from '../../src/runtime/metrics.ts';

const repo = (path: string) => new URL(`../../${path}`, import.meta.url);

/** Every series name the operator exposes, with its label names (as the manager registers them). */
function registeredSeries(): Map<string, Set<string>> {
  const registry = new Registry();
  new RuntimeMetrics({ registry, processMetrics: true });
  new NvjMetrics(registry, () => []);
  const series = new Map<string, Set<string>>();
  for (const metric of registry.getMetricsAsArray()) {
    const labels = new Set((metric as unknown as { labelNames?: string[] }).labelNames ?? []);
    const names =
      metric instanceof Histogram
        ? ['_bucket', '_sum', '_count'].map((s) => metric.name + s)
        : [metric.name];
    for (const name of names)
      series.set(name, name.endsWith('_bucket') ? new Set([...labels, 'le']) : labels);
  }
  return series;
}

// Labels Prometheus adds to every scraped series (prometheus-operator's ServiceMonitor targets).
const TARGET_LABELS = ['job', 'instance', 'namespace', 'pod', 'service', 'container', 'endpoint'];
const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
]);

interface Query {
  metrics: { name: string; labels: string[] }[];
  groupLabels: string[];
}

/** The metric names and label names a PromQL expression uses; small, for this dashboard's queries. */
function parsePromQL(expr: string): Query {
  const metrics: Query['metrics'] = [];
  let rest = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  rest = rest.replace(
    /([a-zA-Z_:][\w:]*)?\s*\{([^}]*)\}/g,
    (_m, name: string | undefined, body: string) => {
      const labels = [...body.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1] ?? '');
      if (name) metrics.push({ name, labels });
      return ' ';
    },
  );
  rest = rest.replace(/\[[^\]]*\]/g, ' ');
  const groupLabels: string[] = [];
  rest = rest.replace(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g, (_m, list: string) => {
    groupLabels.push(
      ...list
        .split(',')
        .map((l) => l.trim())
        .filter(Boolean),
    );
    return ' ';
  });
  for (const m of rest.matchAll(/([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = m;
    if (!name || call || PROMQL_WORDS.has(name)) continue;
    metrics.push({ name, labels: [] });
  }
  return { metrics, groupLabels };
}

interface Panel {
  type: string;
  title: string;
  id: number;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { uid: string };
  targets?: { expr: string; refId: string; legendFormat?: string }[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; definition?: string }[] };
}

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(
    readFileSync(repo('config/grafana/nbv-dashboard.json'), 'utf8'),
  ) as Dashboard;
  const series = registeredSeries();

  const checkQuery = (expr: string, where: string): Query => {
    const query = parsePromQL(expr);
    assert.ok(query.metrics.length > 0, `${where}: no metric in ${expr}`);
    const available = new Set(TARGET_LABELS);
    for (const { name, labels } of query.metrics) {
      const known = series.get(name);
      assert.ok(known, `${where}: ${name} is not a metric the operator registers`);
      for (const label of known) available.add(label);
      for (const label of labels)
        assert.ok(
          known.has(label) || TARGET_LABELS.includes(label),
          `${where}: ${name} has no label ${label}`,
        );
    }
    for (const label of query.groupLabels)
      assert.ok(available.has(label), `${where}: no metric of ${expr} has the label ${label}`);
    return query;
  };

  it('is a dashboard with unique panel ids, laid out on the 24-column grid', () => {
    assert.equal(dashboard.uid, 'nbv-operator');
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const p of dashboard.panels) assert.ok(p.gridPos.x + p.gridPos.w <= 24, p.title);
  });

  it('queries only metrics and labels that the operator registers', () => {
    const queried = new Set<string>();
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      assert.equal(panel.datasource?.uid, '${datasource}', panel.title);
      assert.ok(panel.targets && panel.targets.length > 0, `${panel.title} has no query`);
      for (const target of panel.targets) {
        const query = checkQuery(target.expr, panel.title);
        for (const m of query.metrics) queried.add(m.name.replace(/_(bucket|sum|count)$/, ''));
        // Legends name labels the query keeps.
        for (const [, label] of (target.legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g))
          assert.ok(query.groupLabels.includes(label ?? ''), `${panel.title}: legend {{${label}}}`);
      }
    }
    for (const name of [
      'controller_runtime_reconcile_total',
      'controller_runtime_reconcile_time_seconds',
      'workqueue_depth',
      'notebookvalidationjob_validations_total',
      'notebookvalidationjob_validation_duration_seconds',
      'notebookvalidationjob_active_pods',
    ])
      assert.ok(queried.has(name), `no panel shows ${name}`);
  });

  it("template variables read labels of the operator's metrics", () => {
    for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
      const [, metric, label] =
        /^label_values\((\w+),\s*(\w+)\)$/.exec(variable.definition ?? '') ?? [];
      assert.ok(metric && label, variable.name);
      assert.ok(series.get(metric)?.has(label) || TARGET_LABELS.includes(label), variable.name);
    }
  });

  it('the PromQL reader finds metrics, matchers and grouping labels', () => {
    assert.deepEqual(
      parsePromQL(
        'histogram_quantile(0.9, sum by (le, controller) (rate(a_bucket{x=~"$v", y!="z"}[5m]))) / on (pod) b',
      ),
      {
        metrics: [
          { name: 'a_bucket', labels: ['x', 'y'] },
          { name: 'b', labels: [] },
        ],
        groupLabels: ['le', 'controller', 'pod'],
      },
    );
  });
});

/** A Lua table constructor for a JSON-like value. */
function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string')
    return `"${value.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\n')}"`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  const fields = Object.entries(value as Record<string, unknown>).map(
    ([k, v]) => `[${toLua(k)}] = ${toLua(v)}`,
  );
  return `{${fields.join(', ')}}`;
}

/** Runs health.lua as Argo CD does: `obj` is the resource, the chunk returns the health table. */
function health(script: string, obj: unknown): { status: string; message: string } {
  const harness = [
    `obj = ${toLua(obj)}`,
    'local hs = assert(load(io.read("a"), "health.lua", "t"))()',
    'io.write(hs.status, "\\n", hs.message)',
  ].join('\n');
  let out: string;
  try {
    out = execFileSync('lua5.4', ['-e', harness], { input: script, encoding: 'utf8' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error('lua5.4 is not installed: run `bash scripts/setup-system.sh`', {
        cause: err,
      });
    throw err;
  }
  const [status = '', message = ''] = out.split('\n');
  return { status, message };
}

describe('Argo CD health check', () => {
  const script = readFileSync(repo('config/argocd/health.lua'), 'utf8');
  const sample = parse(readFileSync(repo('config/samples/hello-world.yaml'), 'utf8')) as object;
  const withStatus = (status?: object) => ({ ...sample, ...(status ? { status } : {}) });

  it('is registered in the argocd-cm snippet under the NotebookValidationJob key', () => {
    const configMap = parse(readFileSync(repo('config/argocd/argocd-cm.yaml'), 'utf8')) as {
      data: Record<string, string>;
    };
    assert.equal(
      ARGOCD_HEALTH_KEY,
      'resource.customizations.health.mlops.mlops.dev_NotebookValidationJob',
    );
    assert.equal(configMap.data[ARGOCD_HEALTH_KEY], script);
  });

  for (const [status, expected] of [
    [undefined, { status: 'Progressing', message: 'Waiting for the nbv operator' }],
    [{}, { status: 'Progressing', message: 'Waiting for the nbv operator' }],
    [{ phase: 'Pending' }, { status: 'Progressing', message: 'Phase Pending' }],
    [
      { phase: 'ValidationRunning', message: 'executing the notebook' },
      { status: 'Progressing', message: 'executing the notebook' },
    ],
    [{ phase: 'Running' }, { status: 'Progressing', message: 'Phase Running' }],
    [
      {
        phase: 'Succeeded',
        message: '3/3 cells passed',
        results: [{ cellIndex: 0, status: 'Success' }],
      },
      { status: 'Healthy', message: '3/3 cells passed' },
    ],
    [{ phase: 'Succeeded' }, { status: 'Healthy', message: 'Notebook validation succeeded' }],
    [
      { phase: 'Failed', message: 'cell 2 raised ZeroDivisionError' },
      { status: 'Degraded', message: 'cell 2 raised ZeroDivisionError' },
    ],
    [{ phase: 'Failed' }, { status: 'Degraded', message: 'Notebook validation failed' }],
  ] as const) {
    it(`${status === undefined ? 'no status' : JSON.stringify(status)} -> ${expected.status}`, () => {
      assert.deepEqual(health(script, withStatus(status)), expected);
    });
  }
});
