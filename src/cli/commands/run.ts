import { writeFile } from 'node:fs/promises';
import { readManifestFile } from '../../api/manifest-file.ts';
import type { NotebookValidationJob } from '../../api/notebookvalidationjob.ts';
import { UserError } from '../../errors.ts';
import { localObjects } from '../../local/manifests.ts';
import { progressDisplay } from '../../local/progress.ts';
import { runLocalJob } from '../../local/runner.ts';
import { detectSandbox } from '../../local/sandbox.ts';
import { ensurePython } from '../../notebook/python.ts';
import { writeReportFiles } from '../../notebook/report-files.ts';
import { formatTerminationMessage, summarize } from '../../notebook/summary.ts';
import { admit } from '../../validation/admission.ts';
import { formatProblem } from '../../validation/problems.ts';
import { outputFormat, parseCommandLine } from '../args.ts';
import { writeLine, type CliIo } from '../io.ts';
import { writeStatus } from '../status-text.ts';

const USAGE =
  'Usage: nbv run FILE [--name JOB] [--report-dir DIR] [--output text|json] [--volume NAME=DIR]... [--python PATH] [--keep-workspace] [--termination-message FILE]';

function volumeOverrides(specs: readonly string[], cwd: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1)
      throw new UserError(`--volume ${spec}: expected NAME=DIR (NAME a claim or volume name)`);
    const dir = spec.slice(eq + 1);
    map.set(spec.slice(0, eq), dir.startsWith('/') ? dir : `${cwd}/${dir}`);
  }
  return map;
}

/** Admission exactly as `nbv validate` reports it: `FIELD: REASON` lines, then exit 2. */
function admitJob(raw: unknown, file: string, io: CliIo): NotebookValidationJob {
  const outcome = admit(raw);
  for (const p of outcome.problems) writeLine(io.stderr, `${file}: ${formatProblem(p)}`);
  if (!outcome.object) throw new UserError(`${file}: the job is not valid (see above)`);
  return outcome.object as NotebookValidationJob;
}

/**
 * `nbv run FILE`: runs a NotebookValidationJob on this machine through the same Pod the
 * operator would create. Exit 0 when the job succeeds, 1 when it fails, 2 for bad input.
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(
    argv,
    {
      name: { type: 'string' },
      'report-dir': { type: 'string' },
      output: { type: 'string', short: 'o' },
      volume: { type: 'string', multiple: true, default: [] },
      python: { type: 'string' },
      'keep-workspace': { type: 'boolean' },
      'termination-message': { type: 'string' },
    },
    USAGE,
    true,
  );
  if (values.help) {
    writeLine(io.stdout, USAGE);
    return 0;
  }
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UserError(USAGE);
  const output = outputFormat(values.output);
  const stream = await readManifestFile(file);
  if (stream.syntaxErrors.length > 0)
    throw new UserError(
      stream.syntaxErrors
        .map((e) => `${file}:${e.replace(/^(\d+:\d+): /, '$1: malformed YAML: ')}`)
        .join('\n'),
    );
  const objects = localObjects(stream, file, values.name);
  const job = admitJob(objects.job, file, io);
  const env = values.python ? { ...io.env, NBV_PYTHON: values.python } : io.env;
  const events = progressDisplay(io.stderr, io.isTTY);
  const python = await ensurePython(env, (line) => events.notice?.(line));
  const sandbox = detectSandbox(env);
  if (sandbox.kind === 'none') {
    events.notice?.(
      `nbv run: no sandbox: ${sandbox.reason}. Steps run as plain processes with the workspace in a temporary folder; jobs with volumeMounts cannot run.`,
    );
  }
  events.notice?.(
    `running ${job.metadata.name ?? ''} (${job.spec.notebook.path} at ${job.spec.notebook.git.ref})`,
  );
  const result = await runLocalJob({
    job,
    objects,
    python,
    sandbox,
    baseDir: io.cwd,
    volumeOverrides: volumeOverrides(values.volume, io.cwd),
    events,
    ...(values['keep-workspace'] ? { keepWorkspace: true } : {}),
    ...(values['report-dir'] ? { copyExecutedTo: values['report-dir'] } : {}),
  });
  const { status } = result.report;
  if (values['report-dir']) {
    const files = await writeReportFiles(
      result.report,
      values['report-dir'],
      job.metadata.name ?? job.spec.notebook.path,
    );
    events.notice?.(
      `reports: ${[...files, ...(result.executedCopy ? [result.executedCopy] : [])].join(', ')}`,
    );
  }
  if (values['keep-workspace']) events.notice?.(`workspace kept: ${result.workspace}`);
  // What the report container of the pod would leave as its termination message.
  if (values['termination-message'])
    await writeFile(
      values['termination-message'],
      formatTerminationMessage(summarize(result.report)),
    );
  writeStatus(io.stdout, status, output);
  return status.phase === 'Succeeded' ? 0 : 1;
}
