// `nbv run`: the validation Pod that the operator would create, interpreted on this machine.
// Its init containers' commands run in order as sandboxed processes with the pod's volumes at
// their mount paths; the report container's step runs in this process.
import type { V1Container } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NotebookValidationJob } from '../api/notebookvalidationjob.ts';
import { DEFAULT_IMAGES } from '../builders/images.ts';
import { HOME_DIR, STEP_EXECUTE, WORKSPACE_DIR, WORKSPACE_VOLUME } from '../builders/pod-layout.ts';
import { buildValidationPod, deadlineSeconds } from '../builders/validation-pod.ts';
import { UserError } from '../errors.ts';
import { pythonPaths, type PythonChoice } from '../notebook/python.ts';
import {
  buildReport,
  readTail,
  reportConfigFromEnv,
  reportPaths,
  type ValidationReport,
} from '../notebook/report.ts';
import {
  EXECUTED_NOTEBOOK,
  EXIT_CODE_FILE,
  EXIT_TIMED_OUT,
  PROGRESS_FILE,
} from '../notebook/steps.ts';
import { containerEnv } from './env.ts';
import type { LocalObjects } from './manifests.ts';
import { bwrapArgs, SYSTEM_PATHS, type Mount, type Sandbox } from './sandbox.ts';
import { materializeVolumes, type HostVolume } from './volumes.ts';

export interface RunOptions {
  job: NotebookValidationJob;
  objects: LocalObjects;
  python: PythonChoice;
  sandbox: Sandbox;
  /** The directory `.nbv/volumes` lives in (the working directory). */
  baseDir: string;
  volumeOverrides: ReadonlyMap<string, string>;
  /** Keep the workspace (repo, executed notebook, logs) instead of removing it. */
  keepWorkspace?: boolean;
  /** Where to copy the executed notebook (as executed.ipynb) before the workspace goes. */
  copyExecutedTo?: string;
  events?: RunEvents;
}

export interface RunEvents {
  stepStarted?(name: string): void;
  stepFinished?(name: string, exitCode: number, ms: number): void;
  /** The execute step started the n-th of `of` code cells. */
  cellStarted?(n: number, of: number, elapsedMs: number): void;
  notice?(text: string): void;
}

export interface RunResult {
  report: ValidationReport;
  /** The run's scratch folder (workspace, volumes, step logs); removed unless keepWorkspace. */
  workspace: string;
  /** The copy of the executed notebook, when copyExecutedTo was given and it exists. */
  executedCopy?: string;
}

const TERMINATION_LOG = '/dev/termination-log';
const PATH_IN_SANDBOX = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface Context {
  options: RunOptions;
  volumes: Map<string, HostVolume>;
  scratch: string;
  pythonPaths: string[];
  deadline: number;
}

function mountsOf(container: V1Container, ctx: Context): Mount[] {
  return (container.volumeMounts ?? []).map((m) => {
    const volume = ctx.volumes.get(m.name);
    if (!volume)
      throw new UserError(
        `${container.name}: volumeMount names volume "${m.name}", which the pod does not have`,
      );
    const hostPath = m.subPath ? join(volume.hostPath, m.subPath) : volume.hostPath;
    return { hostPath, target: m.mountPath, readOnly: volume.readOnly || m.readOnly === true };
  });
}

/** Without a sandbox, pod paths in the command and env are rewritten to their host folders. */
function rewritePaths(text: string, mounts: readonly Mount[]): string {
  let out = text;
  for (const m of [...mounts].sort((a, b) => b.target.length - a.target.length))
    out = out.split(m.target).join(m.hostPath);
  return out;
}

async function runStep(
  container: V1Container,
  ctx: Context,
): Promise<{ exitCode: number; timedOut: boolean; log: string; message: string }> {
  const { options } = ctx;
  const pythonBin = join(options.python.python, '..');
  const env: Record<string, string> = {
    PATH: `${pythonBin}:${PATH_IN_SANDBOX}`,
    HOME: HOME_DIR,
    LANG: 'C.UTF-8',
    ...containerEnv(container, options.objects),
  };
  const stepDir = join(ctx.scratch, 'steps', container.name);
  await mkdir(stepDir, { recursive: true });
  const termination = join(stepDir, 'termination-log');
  await writeFile(termination, '');
  const mounts = [
    ...mountsOf(container, ctx),
    { hostPath: termination, target: TERMINATION_LOG, readOnly: false },
  ];
  for (const m of mounts)
    if (!m.readOnly) await mkdir(m.hostPath, { recursive: true }).catch(() => undefined);
  const command = [...(container.command ?? []), ...(container.args ?? [])];

  let argv: string[];
  let program: string;
  if (options.sandbox.kind === 'bwrap') {
    program = options.sandbox.bwrap;
    argv = bwrapArgs(
      { systemPaths: [...SYSTEM_PATHS, ...ctx.pythonPaths], mounts, cwd: WORKSPACE_DIR },
      command,
    );
  } else {
    const user = (container.volumeMounts ?? []).filter(
      (m) => !m.mountPath.startsWith(`${WORKSPACE_DIR}`) && !m.mountPath.startsWith('/etc/nbv/'),
    );
    if (user.length > 0) {
      throw new UserError(
        `cannot mount volume "${user[0]?.name}" at ${user[0]?.mountPath} without a sandbox: ${options.sandbox.reason}`,
      );
    }
    for (const key of Object.keys(env)) env[key] = rewritePaths(env[key] as string, mounts);
    [program, ...argv] = command.map((part) => rewritePaths(part, mounts)) as [string, ...string[]];
  }

  const logPath = join(stepDir, 'output.log');
  const log = await open(logPath, 'w');
  const started = Date.now();
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(program, argv, { env, stdio: ['ignore', log.fd, log.fd], detached: true });
    const remaining = Math.max(0, ctx.deadline - Date.now());
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, remaining);
    let timedOut = false;
    const progress = container.name === STEP_EXECUTE ? watchProgress(ctx, started) : undefined;
    child.on('error', (err) => {
      clearTimeout(timer);
      progress?.stop();
      reject(new UserError(`${container.name}: cannot start ${program}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      progress?.stop();
      resolve(timedOut ? EXIT_TIMED_OUT : (code ?? (signal ? 128 : 1)));
    });
  });
  await log.close();
  const message = (await readFile(termination, 'utf8')).trim();
  return { exitCode, timedOut: exitCode === EXIT_TIMED_OUT, log: logPath, message };
}

/** Reports each started cell from the execute step's progress file. */
function watchProgress(ctx: Context, started: number): { stop(): void } {
  const file = hostPath(ctx, PROGRESS_FILE);
  let seen = 0;
  const poll = async () => {
    const text = await readFile(file, 'utf8').catch(() => '');
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    for (; seen < lines.length; seen++) {
      try {
        const p = JSON.parse(lines[seen] as string) as { n: number; of: number };
        ctx.options.events?.cellStarted?.(p.n, p.of, Date.now() - started);
      } catch {
        break; // a line still being written
      }
    }
  };
  const timer = setInterval(() => void poll(), 200);
  return {
    stop() {
      clearInterval(timer);
      void poll();
    },
  };
}

function hostPath(ctx: Context, podPath: string): string {
  const workspace = ctx.volumes.get(WORKSPACE_VOLUME);
  if (!workspace || !podPath.startsWith(`${WORKSPACE_DIR}/`))
    throw new Error(`${podPath} is not in the workspace`);
  return join(workspace.hostPath, podPath.slice(WORKSPACE_DIR.length + 1));
}

function stepFailed(
  name: string,
  step: { exitCode: number; message: string; timedOut: boolean },
  logTail: string | undefined,
): ValidationReport {
  const why = step.timedOut
    ? 'Timeout: stopped at the job timeout (spec.timeout)'
    : step.message || logTail?.trim().split('\n').at(-1) || `exit code ${step.exitCode}`;
  // The clone script's termination message is "Reason: message".
  const parsed = /^([A-Z][A-Za-z]+): ([\s\S]*)$/.exec(why);
  return {
    status: { phase: 'Failed', message: `${name} failed: ${parsed ? parsed[2] : why}` },
    reason: parsed?.[1] ?? 'StepFailed',
    notebookPath: '',
    sources: [],
    ...(logTail ? { logTail } : {}),
  };
}

export async function runLocalJob(options: RunOptions): Promise<RunResult> {
  const pod = buildValidationPod(options.job, { images: DEFAULT_IMAGES, attempt: 1 });
  const scratch = await mkdtemp(join(tmpdir(), 'nbv-run-'));
  const ctx: Context = {
    options,
    scratch,
    volumes: new Map(),
    pythonPaths: pythonPaths(options.python.python),
    deadline: Date.now() + deadlineSeconds(options.job.spec.timeout) * 1000,
  };
  try {
    ctx.volumes = await materializeVolumes(pod.spec?.volumes ?? [], options.objects, {
      claimsDir: join(options.baseDir, '.nbv', 'volumes'),
      scratchDir: scratch,
      overrides: options.volumeOverrides,
    });
    for (const container of pod.spec?.initContainers ?? []) {
      options.events?.stepStarted?.(container.name);
      const started = Date.now();
      const step = await runStep(container, ctx);
      options.events?.stepFinished?.(container.name, step.exitCode, Date.now() - started);
      if (container.name === STEP_EXECUTE) {
        // The pod's deadline would kill the step mid-run; the report then says so.
        if (step.timedOut) await writeFile(hostPath(ctx, EXIT_CODE_FILE), `${EXIT_TIMED_OUT}\n`);
        continue;
      }
      if (step.exitCode !== 0) {
        const report = stepFailed(container.name, step, await readTail(step.log));
        return {
          report: { ...report, notebookPath: options.job.spec.notebook.path },
          workspace: scratch,
        };
      }
    }
    const reportContainer = pod.spec?.containers[0];
    if (!reportContainer) throw new Error('the validation pod has no report container');
    options.events?.stepStarted?.(reportContainer.name);
    const started = Date.now();
    const config = reportConfigFromEnv(containerEnv(reportContainer, options.objects));
    const report = await buildReport(
      config,
      reportPaths(config, (p) => hostPath(ctx, p)),
    );
    options.events?.stepFinished?.(reportContainer.name, 0, Date.now() - started);
    const executedCopy = options.copyExecutedTo
      ? await copyExecuted(hostPath(ctx, EXECUTED_NOTEBOOK), options.copyExecutedTo)
      : undefined;
    return { report, workspace: scratch, ...(executedCopy ? { executedCopy } : {}) };
  } finally {
    if (!options.keepWorkspace) await cleanup(scratch);
  }
}

async function copyExecuted(from: string, dir: string): Promise<string | undefined> {
  const to = join(dir, 'executed.ipynb');
  await mkdir(dir, { recursive: true });
  return copyFile(from, to).then(
    () => to,
    () => undefined,
  );
}

async function cleanup(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}
