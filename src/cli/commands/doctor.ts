import { spawnSync } from 'node:child_process';
import { UserError } from '../../errors.ts';
import { detectSandbox } from '../../local/sandbox.ts';
import {
  OPTIONAL_MODULES,
  REQUIRED_MODULES,
  findPython,
  probePython,
  venvDir,
} from '../../notebook/python.ts';
import { which } from '../../util/fs.ts';
import { parseCommandLine } from '../args.ts';
import { writeLine, type CliIo } from '../io.ts';

const USAGE = 'Usage: nbv doctor';

/**
 * `nbv doctor`: what `nbv run` will use and what is missing — the Python environment and its
 * packages and kernels, git, the sandbox. Exit 0 when `nbv run` can work, 1 otherwise.
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  if (parseCommandLine(argv, {}, USAGE).values.help) {
    writeLine(io.stdout, USAGE);
    return 0;
  }
  let problems = 0;
  const line = (ok: boolean | 'optional', what: string) => {
    if (ok === false) problems++;
    writeLine(
      io.stdout,
      `${ok === true ? 'ok     ' : ok === 'optional' ? 'missing' : 'MISSING'}  ${what}`,
    );
  };
  let python;
  try {
    python = findPython(io.env);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    line(false, `python: ${err.message}`);
  }
  if (python) {
    const probe = probePython(python.python);
    line(true, `python ${probe.version}: ${python.python} (${python.origin})`);
    for (const m of REQUIRED_MODULES)
      line(Boolean(probe.modules[m]), `${m} ${probe.modules[m] ?? ''}`.trim());
    for (const m of OPTIONAL_MODULES)
      line(
        probe.modules[m] ? true : 'optional',
        `${m} ${probe.modules[m] ?? '(samples and benchmarks only)'}`.trim(),
      );
    line(probe.kernels.includes('python3'), `kernels: ${probe.kernels.join(', ') || 'none'}`);
  } else if (!io.env.NBV_PYTHON) {
    line(
      false,
      `python: nbv's environment ${venvDir(io.env)} does not exist yet: run "nbv setup" (nbv run creates it on first use), or set NBV_PYTHON`,
    );
  }
  const git = which('git', io.env);
  const version = git ? spawnSync(git, ['--version'], { encoding: 'utf8' }).stdout.trim() : '';
  line(Boolean(git), git ? `${version}: ${git}` : 'git: not on PATH (needed to clone notebooks)');
  const sandbox = detectSandbox(io.env);
  line(
    sandbox.kind === 'bwrap',
    sandbox.kind === 'bwrap'
      ? `sandbox: ${sandbox.bwrap}`
      : `sandbox: ${sandbox.reason}; jobs with volumeMounts cannot run`,
  );
  const chromium = which('chromium', io.env);
  line(
    chromium ? true : 'optional',
    `chromium: ${chromium ?? 'not found (only the HTML report test needs it)'}`,
  );
  writeLine(io.stdout, problems === 0 ? 'nbv run is ready.' : `${problems} problem(s).`);
  return problems === 0 ? 0 : 1;
}
