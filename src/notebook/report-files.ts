// The three report files of `nbv run --report-dir` and `nbv report --report-dir`.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { htmlReport } from './html.ts';
import { statusJson } from './json.ts';
import { junitXml } from './junit.ts';
import type { ValidationReport } from './report.ts';

const REPORT_FILES = {
  json: 'report.json',
  junit: 'junit.xml',
  html: 'report.html',
} as const;

export async function writeReportFiles(
  report: ValidationReport,
  dir: string,
  name: string,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    [REPORT_FILES.json, `${statusJson(report.status, true)}\n`],
    [REPORT_FILES.junit, junitXml(report, name)],
    [REPORT_FILES.html, htmlReport(report, name)],
  ];
  await Promise.all(files.map(([file, text]) => writeFile(join(dir, file), text)));
  return files.map(([file]) => join(dir, file));
}
