// The Python environment of `nbv run`: the user's own (NBV_PYTHON) or a virtual environment
// that nbv creates from python/requirements.txt, outside the repository, keyed by the
// requirements' hash so that a change of pins gets a fresh one.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';
import { isExecutable, which } from '../util/fs.ts';

const REQUIREMENTS_FILE = fileURLToPath(new URL('../../python/requirements.txt', import.meta.url));

/** Modules the execute step needs, and the ones only samples and the benchmark use. */
export const REQUIRED_MODULES = [
  'papermill',
  'ipykernel',
  'nbformat',
  'nbclient',
  'jupyter_client',
] as const;
export const OPTIONAL_MODULES = ['numpy', 'sklearn', 'nbdime'] as const;

/** Written last by createVenv: an environment without it was interrupted and is rebuilt. */
const READY_MARK = '.nbv-ready';

export interface PythonChoice {
  python: string;
  origin: 'NBV_PYTHON' | 'nbv venv';
}

let requirementsHash: string | undefined;

export function venvDir(env: NodeJS.ProcessEnv): string {
  // Read and hashed once: findPython, createVenv and doctor all ask.
  requirementsHash ??= createHash('sha256')
    .update(readFileSync(REQUIREMENTS_FILE))
    .digest('hex')
    .slice(0, 12);
  const cache = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'nbv', `venv-${requirementsHash}`);
}

/** The Python to use, or undefined when nbv's venv is still to be created. */
export function findPython(env: NodeJS.ProcessEnv): PythonChoice | undefined {
  const own = env.NBV_PYTHON;
  if (own) {
    if (!existsSync(own))
      throw new UserError(
        `NBV_PYTHON=${own}: no such file (point it at a python3 with papermill and ipykernel, or unset it)`,
      );
    if (!isExecutable(own)) throw new UserError(`NBV_PYTHON=${own}: not executable`);
    return { python: own, origin: 'NBV_PYTHON' };
  }
  const dir = venvDir(env);
  return existsSync(join(dir, READY_MARK))
    ? { python: join(dir, 'bin', 'python3'), origin: 'nbv venv' }
    : undefined;
}

function runLogged(cmd: string, args: string[], log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => reject(new UserError(`${cmd}: ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else {
        log(tail.trimEnd());
        reject(
          new UserError(`${cmd} ${args.slice(0, 3).join(' ')} … failed with exit code ${code}`),
        );
      }
    });
  });
}

/**
 * Creates nbv's venv: python3 -m venv, then pip install -r python/requirements.txt (pip's own
 * cache makes a re-creation cheap).
 */
export async function createVenv(
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<PythonChoice> {
  const base = env.NBV_BASE_PYTHON || which('python3', env);
  if (!base) {
    throw new UserError(
      'no python3 on PATH: install Python 3.10 or newer (or set NBV_PYTHON to a python3 that has papermill and ipykernel)',
    );
  }
  const dir = venvDir(env);
  await rm(dir, { recursive: true, force: true });
  log(
    `creating the Python environment ${dir} (${base} -m venv; pip install -r python/requirements.txt)`,
  );
  await runLogged(base, ['-m', 'venv', dir], log);
  await runLogged(
    join(dir, 'bin', 'python3'),
    ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', REQUIREMENTS_FILE],
    log,
  );
  await writeFile(join(dir, READY_MARK), `${new Date().toISOString()}\n`);
  log(`Python environment ready: ${join(dir, 'bin', 'python3')}`);
  return { python: join(dir, 'bin', 'python3'), origin: 'nbv venv' };
}

export async function ensurePython(
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<PythonChoice> {
  return findPython(env) ?? (await createVenv(env, log));
}

export interface PythonProbe {
  version: string;
  executable: string;
  prefix: string;
  basePrefix: string;
  modules: Record<string, string | null>;
  kernels: string[];
}

const PROBE = `
import importlib, json, os, sys
mods = {}
for name in sys.argv[1:]:
    try:
        m = importlib.import_module(name)
        mods[name] = getattr(m, '__version__', 'installed')
    except Exception:
        mods[name] = None
try:
    from jupyter_client.kernelspec import KernelSpecManager
    kernels = sorted(KernelSpecManager().find_kernel_specs())
except Exception:
    kernels = []
print(json.dumps({'version': sys.version.split()[0], 'executable': os.path.realpath(sys.executable),
  'prefix': sys.prefix, 'basePrefix': sys.base_prefix, 'modules': mods, 'kernels': kernels}))
`;

/** What a Python has: version, prefixes (the sandbox binds them) and modules. */
export function probePython(
  python: string,
  modules: readonly string[] = [...REQUIRED_MODULES, ...OPTIONAL_MODULES],
): PythonProbe {
  const result = spawnSync(python, ['-c', PROBE, ...modules], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw new UserError(`${python}: ${result.error.message}`);
  if (result.status !== 0)
    throw new UserError(`${python} does not run: ${result.stderr.trim().split('\n').at(-1) ?? ''}`);
  return JSON.parse(result.stdout) as PythonProbe;
}

/** The folders a Python runs from (its prefix, base prefix, real executable's prefix): what a sandbox must show. */
export function pythonPaths(python: string): string[] {
  const code =
    'import json, os, sys; print(json.dumps([sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))]))';
  const result = spawnSync(python, ['-c', code], { encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0)
    throw new UserError(
      `${python} does not run: ${(result.stderr || result.error?.message || '').trim().split('\n').at(-1) ?? ''}`,
    );
  return JSON.parse(result.stdout) as string[];
}

/** Modules of REQUIRED_MODULES that a probe lacks. */
export function missingModules(probe: PythonProbe): string[] {
  return REQUIRED_MODULES.filter((m) => !probe.modules[m]);
}
