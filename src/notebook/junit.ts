// JUnit XML for CI systems: one testcase per code cell (failure with the traceback, golden
// differences of the cell included), plus one for the golden comparison as a whole.
import { parseGoDuration } from '../util/duration.ts';
import type { ValidationReport } from './report.ts';
import { escapeMarkup } from './text.ts';

const attr = (name: string, value: string | number) => ` ${name}="${escapeMarkup(String(value))}"`;

function seconds(executionTime: string | undefined): number {
  return executionTime ? (parseGoDuration(executionTime) ?? 0) / 1000 : 0;
}

export function junitXml(report: ValidationReport, suiteName: string): string {
  const { status } = report;
  const results = status.results ?? [];
  const diffs = status.comparisonResult?.diffs ?? [];
  const cases: string[] = [];
  let failures = 0;
  let skipped = 0;
  const className = report.notebookPath;
  for (const r of results) {
    const open = `<testcase${attr('classname', className)}${attr('name', `cell ${r.cellIndex}`)}${attr('time', seconds(r.executionTime).toFixed(3))}>`;
    const cellDiffs = diffs.filter(
      (d) => d.cellIndex === r.cellIndex && d.diffType !== 'missing_cell',
    );
    if (r.status === 'Failure' || cellDiffs.length > 0) {
      failures++;
      const type = r.status === 'Failure' ? (r.errorName ?? 'Failure') : 'GoldenMismatch';
      const message =
        r.status === 'Failure'
          ? (r.errorMessage ?? type)
          : `${cellDiffs.map((d) => d.diffType).join(', ')} against the golden notebook`;
      const body = [
        r.status === 'Failure' ? (r.traceback ?? r.errorMessage ?? '') : '',
        ...cellDiffs.map((d) => d.diff ?? ''),
      ]
        .filter(Boolean)
        .join('\n\n');
      cases.push(
        `${open}<failure${attr('type', type)}${attr('message', message)}>${escapeMarkup(body)}</failure></testcase>`,
      );
    } else if (r.status === 'Skipped') {
      skipped++;
      cases.push(
        `${open}<skipped${attr('message', 'not executed: an earlier cell failed')}/></testcase>`,
      );
    } else {
      cases.push(`${open}</testcase>`);
    }
  }
  const comparison = status.comparisonResult;
  if (comparison) {
    const open = `<testcase${attr('classname', className)}${attr('name', 'golden comparison')}${attr('time', '0')}>`;
    if (comparison.result === 'failed') {
      failures++;
      const body = diffs
        .map(
          (d) =>
            `cell ${d.cellIndex}: ${d.diffType} (${d.severity})\n${d.diff ?? d.expected ?? d.actual ?? ''}`,
        )
        .join('\n\n');
      const message = `${comparison.mismatchedCells} of ${comparison.totalCells} cells differ (${comparison.strategy})`;
      cases.push(
        `${open}<failure${attr('type', 'GoldenMismatch')}${attr('message', message)}>${escapeMarkup(body)}</failure></testcase>`,
      );
    } else if (comparison.result === 'skipped') {
      skipped++;
      cases.push(
        `${open}<skipped${attr('message', 'no executed notebook to compare')}/></testcase>`,
      );
    } else cases.push(`${open}</testcase>`);
  }
  if (results.length === 0 && status.phase === 'Failed') {
    failures++;
    cases.push(
      `<testcase${attr('classname', className)}${attr('name', 'execute')}${attr('time', '0')}><failure${attr('type', report.reason ?? 'Failed')}${attr('message', status.message)}>${escapeMarkup(report.logTail ?? '')}</failure></testcase>`,
    );
  }
  const total = results.reduce((sum, r) => sum + seconds(r.executionTime), 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attr('name', 'nbv')}${attr('tests', cases.length)}${attr('failures', failures)}${attr('skipped', skipped)}${attr('time', total.toFixed(3))}>`,
    `<testsuite${attr('name', suiteName)}${attr('tests', cases.length)}${attr('failures', failures)}${attr('errors', 0)}${attr('skipped', skipped)}${attr('time', total.toFixed(3))}>`,
    ...cases,
    '</testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
