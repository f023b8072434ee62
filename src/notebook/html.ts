// A self-contained HTML report (no scripts, no external resources): the outcome, every code
// cell with its status, time, source, output and traceback, and a side-by-side golden diff.
import type { CellDiff, CellResult } from '../api/notebookvalidationjob.ts';
import type { ValidationReport } from './report.ts';
import { escapeMarkup } from './text.ts';
import { diffLines, type DiffLine } from './udiff.ts';

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2329;background:#f6f7f9}
header{padding:16px 24px;background:#fff;border-bottom:1px solid #dde1e6}
h1{font-size:20px;margin:0 0 6px}h2{font-size:16px;margin:24px 24px 8px}
main{padding:0 0 32px}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;font-weight:600;color:#fff}
.Succeeded,.Success{background:#1a7f37}.Failed,.Failure{background:#cf222e}.Skipped{background:#6e7781}
.counts{margin-top:8px;color:#57606a}
.cell{margin:10px 24px;background:#fff;border:1px solid #dde1e6;border-radius:6px;overflow:hidden}
.cell.failure{border-color:#cf222e;box-shadow:0 0 0 1px #cf222e}
.cell>.head{display:flex;gap:12px;align-items:center;padding:6px 12px;background:#f0f2f5;font-weight:600}
.cell .time{color:#57606a;font-weight:400;margin-left:auto}
pre{margin:0;padding:8px 12px;white-space:pre-wrap;word-break:break-word;font:12.5px/1.4 ui-monospace,monospace}
pre.source{background:#fbfbfc;border-bottom:1px solid #eef0f3}
pre.error{background:#fff1f0;color:#82071e}
.label{padding:4px 12px 0;font-size:12px;color:#57606a}
table.diff{width:100%;border-collapse:collapse;table-layout:fixed;font:12.5px/1.4 ui-monospace,monospace}
table.diff th{text-align:left;background:#f0f2f5;padding:4px 8px}
table.diff td{padding:0 8px;white-space:pre-wrap;word-break:break-word;vertical-align:top}
td.del{background:#ffebe9}td.ins{background:#dafbe1}td.empty{background:#f6f8fa}
`;

function badge(text: string): string {
  return `<span class="badge ${escapeMarkup(text)}">${escapeMarkup(text)}</span>`;
}

/** Rows of a side-by-side diff: runs of deletions and insertions face each other. */
function sideBySide(lines: readonly DiffLine[]): [DiffLine | undefined, DiffLine | undefined][] {
  const rows: [DiffLine | undefined, DiffLine | undefined][] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as DiffLine;
    if (line.op === ' ') {
      rows.push([line, line]);
      i++;
      continue;
    }
    const dels: DiffLine[] = [];
    const ins: DiffLine[] = [];
    while (i < lines.length && (lines[i] as DiffLine).op !== ' ') {
      const l = lines[i] as DiffLine;
      (l.op === '-' ? dels : ins).push(l);
      i++;
    }
    for (let k = 0; k < Math.max(dels.length, ins.length); k++) rows.push([dels[k], ins[k]]);
  }
  return rows;
}

function diffTable(d: CellDiff): string {
  const rows = sideBySide(diffLines(d.expected ?? '', d.actual ?? ''));
  const cell = (l: DiffLine | undefined, cls: string) =>
    l
      ? `<td class="${l.op === ' ' ? '' : cls}">${escapeMarkup(l.text)}</td>`
      : '<td class="empty"></td>';
  return `<table class="diff"><tr><th>golden (expected)</th><th>executed (actual)</th></tr>${rows
    .map(([a, b]) => `<tr>${cell(a, 'del')}${cell(b, 'ins')}</tr>`)
    .join('')}</table>`;
}

function diffBlock(d: CellDiff): string {
  return `<div class="label">golden: ${escapeMarkup(d.diffType)} (${escapeMarkup(d.severity)})</div>${diffTable(d)}`;
}

function cellBlock(r: CellResult, source: string | undefined, diffs: readonly CellDiff[]): string {
  const failing = r.status === 'Failure' || diffs.some((d) => d.severity !== 'minor');
  const error =
    r.status === 'Failure'
      ? `<div class="label">error</div><pre class="error">${escapeMarkup(r.traceback ?? r.errorMessage ?? '')}</pre>`
      : '';
  return `<section class="cell${failing ? ' failure' : ''}" id="cell-${r.cellIndex}" data-status="${r.status}">
<div class="head">cell ${r.cellIndex} ${badge(r.status)}${diffs.length ? ' <span>differs from golden</span>' : ''}<span class="time">${escapeMarkup(r.executionTime ?? '')}</span></div>
${source !== undefined ? `<pre class="source">${escapeMarkup(source)}</pre>` : ''}
${r.output ? `<div class="label">output${r.outputTypes?.length ? ` (${escapeMarkup(r.outputTypes.join(', '))})` : ''}</div><pre class="output">${escapeMarkup(r.output)}</pre>` : ''}
${error}${diffs.map(diffBlock).join('')}
</section>`;
}

export function htmlReport(report: ValidationReport, title: string): string {
  const { status } = report;
  const results = status.results ?? [];
  const diffs = status.comparisonResult?.diffs ?? [];
  const sources = new Map(report.sources.map((s) => [s.index, s.source]));
  const resultIndices = new Set(results.map((r) => r.cellIndex));
  const count = (s: string) => results.filter((r) => r.status === s).length;
  const c = status.comparisonResult;
  const orphanDiffs = diffs.filter(
    (d) => !resultIndices.has(d.cellIndex) || d.diffType === 'missing_cell',
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeMarkup(title)}: ${escapeMarkup(status.phase)}</title><style>${STYLE}</style></head>
<body><header><h1>${escapeMarkup(title)} ${badge(status.phase)}</h1>
<div>${escapeMarkup(report.notebookPath)}</div>
<div id="message">${escapeMarkup(status.message)}</div>
<div class="counts">${results.length} code cells: ${count('Success')} succeeded, ${count('Failure')} failed, ${count('Skipped')} skipped${
    c
      ? ` · golden (${escapeMarkup(c.strategy)}): ${escapeMarkup(c.result)}, ${c.matchedCells} of ${c.totalCells} cells match`
      : ''
  }</div></header>
<main>
${orphanDiffs.length ? `<h2>Golden differences outside the executed cells</h2>${orphanDiffs.map((d) => `<section class="cell failure" id="golden-${d.diffType}-${d.cellIndex}"><div class="head">cell ${d.cellIndex} (${escapeMarkup(d.cellType)})</div>${diffBlock(d)}</section>`).join('\n')}` : ''}
<h2>Cells</h2>
${results
  .map((r) =>
    cellBlock(
      r,
      sources.get(r.cellIndex),
      diffs.filter((d) => d.cellIndex === r.cellIndex && d.diffType !== 'missing_cell'),
    ),
  )
  .join('\n')}
${results.length === 0 && report.logTail ? `<h2>Execution log (end)</h2><section class="cell failure"><pre class="error">${escapeMarkup(report.logTail)}</pre></section>` : ''}
</main></body></html>
`;
}
