// The contract between the validation pod's steps. The builder puts these commands and
// environment variables into the Pod; `nbv run` runs the very same commands as processes.
import { GOLDEN_DIR, REPO_DIR, STATE_DIR } from '../builders/pod-layout.ts';

/** Files the execute step leaves for the report step. */
export const EXECUTED_NOTEBOOK = `${STATE_DIR}/output.ipynb`;
export const EXIT_CODE_FILE = `${STATE_DIR}/exit-code`;
export const EXECUTE_LOG = `${STATE_DIR}/execute.log`;
/** `{"reason", "message"}` when the execute step could not run the notebook at all. */
export const EXECUTE_ERROR_FILE = `${STATE_DIR}/error.json`;
/** One JSON line per started cell: `{"n": 3, "of": 12, "cell": 5}` (n-th code cell of `of`). */
export const PROGRESS_FILE = `${STATE_DIR}/progress.jsonl`;

export const ENV_NOTEBOOK = 'NBV_NOTEBOOK';
export const ENV_PARAMETERS = 'NBV_PARAMETERS';
export const ENV_REPORT_CONFIG = 'NBV_REPORT_CONFIG';

/** Exit codes of the execute driver (in EXIT_CODE_FILE). */
export const EXIT_OK = 0;
/** A cell raised: the executed notebook has the error. */
export const EXIT_CELL_FAILED = 1;
/** The notebook could not be run: EXECUTE_ERROR_FILE says why. */
export const EXIT_SETUP_FAILED = 3;
export const EXIT_NO_PYTHON = 127;
/** Set by whoever stopped the step at the job's deadline (`nbv run`). */
export const EXIT_TIMED_OUT = 124;

/**
 * Run in the kernel at start-up (an IPython startup file): adds a display formatter that records
 * the type, shape, emptiness and scalar value of every displayed result as a JSON mime type, so
 * that validationConfig.expectedOutputs checks the real object rather than its repr.
 */
const KERNEL_STARTUP = String.raw`
def _nbv_install():
    import math, numbers
    from IPython import get_ipython
    from IPython.core.formatters import BaseFormatter
    from traitlets import ObjectName, Unicode
    ip = get_ipython()
    if ip is None:
        return
    class NbvValueFormatter(BaseFormatter):
        format_type = Unicode('application/vnd.nbv.value+json')
        _return_type = dict
        print_method = ObjectName('_repr_nbv_value_')
    def describe(obj):
        try:
            d = {'types': [c.__module__ + '.' + c.__qualname__ for c in type(obj).__mro__ if c is not object]}
            if isinstance(obj, numbers.Real) and not isinstance(obj, bool):
                v = float(obj)
                d['value'] = v if math.isfinite(v) else str(v)
            shape = getattr(obj, 'shape', None)
            if isinstance(shape, tuple) and all(isinstance(n, int) for n in shape):
                d['shape'] = list(shape)
            elif hasattr(obj, '__len__') and not isinstance(obj, (str, bytes)):
                d['shape'] = [len(obj)]
            empty = getattr(obj, 'empty', None)
            if isinstance(empty, bool):
                d['empty'] = empty
            elif obj is None:
                d['empty'] = True
            elif hasattr(obj, '__len__'):
                d['empty'] = len(obj) == 0
            return d
        except Exception:
            return None
    f = NbvValueFormatter(parent=ip.display_formatter)
    f.for_type(object, describe)
    ip.display_formatter.formatters[f.format_type] = f
_nbv_install()
del _nbv_install
`;

/**
 * The execute driver (Python, read from stdin): checks the notebook and its kernel, then runs
 * papermill in the notebook's folder with the parameters. Errors that stop it before a cell runs
 * go to EXECUTE_ERROR_FILE with a reason, so the report can name the cause.
 */
const DRIVER = String.raw`
import json, os, re, sys
state = '${STATE_DIR}'
rel = os.environ.get('${ENV_NOTEBOOK}', '')
nb_path = os.path.join('${REPO_DIR}', rel)

def fail(reason, message):
    with open('${EXECUTE_ERROR_FILE}', 'w') as f:
        json.dump({'reason': reason, 'message': message}, f)
    print(reason + ': ' + message, file=sys.stderr)
    sys.exit(${EXIT_SETUP_FAILED})

try:
    import nbformat, papermill
    from jupyter_client.kernelspec import KernelSpecManager
except ImportError as e:
    fail('PapermillMissing', 'the Python of the execute step has no module %s: it needs papermill, ipykernel and nbformat' % e.name)
try:
    params = json.loads(os.environ.get('${ENV_PARAMETERS}') or '{}')
except ValueError as e:
    fail('BadParameters', 'spec.notebook.parameters is not valid JSON: %s' % e)
if not os.path.isfile(nb_path):
    fail('NotebookNotFound', '%s does not exist in the repository' % rel)
try:
    with open(nb_path, encoding='utf-8') as f:
        raw = json.load(f)
except (ValueError, UnicodeDecodeError) as e:
    fail('MalformedNotebook', '%s is not a notebook: malformed JSON (%s)' % (rel, e))
version = raw.get('nbformat') if isinstance(raw, dict) else None
if not isinstance(version, int):
    fail('MalformedNotebook', '%s is not a notebook: it has no nbformat version' % rel)
if version < 4:
    fail('UnsupportedNotebook', '%s is nbformat %d; nbv runs nbformat 4 notebooks (convert with: jupyter nbconvert --to notebook --nbformat 4)' % (rel, version))
try:
    with open(nb_path, encoding='utf-8') as f:
        nb = nbformat.read(f, as_version=4)
    nbformat.validate(nb)
except Exception as e:
    fail('MalformedNotebook', '%s is not a valid nbformat 4 notebook: %s' % (rel, str(e).splitlines()[0]))

kernel = (nb.metadata.get('kernelspec') or {}).get('name')
installed = sorted(KernelSpecManager().find_kernel_specs())
if not kernel:
    fail('KernelNotFound', '%s names no kernel (metadata.kernelspec.name); installed kernels: %s' % (rel, ', '.join(installed)))
if kernel not in installed:
    fail('KernelNotFound', 'kernel "%s" named by %s (metadata.kernelspec.name) is not installed; installed kernels: %s' % (kernel, rel, ', '.join(installed)))

# nbclient honours the raises-exception tag; nbval's marker and tag mean the same.
code_cells = 0
for cell in nb.cells:
    if cell.cell_type != 'code':
        continue
    if cell.source.strip():
        code_cells += 1
    tags = cell.metadata.setdefault('tags', [])
    nbval = 'nbval-raises-exception' in tags or re.search(r'^\s*#\s*NBVAL_RAISES_EXCEPTION\b', cell.source, re.M)
    if nbval and 'raises-exception' not in tags:
        tags.append('raises-exception')

# The kernel loads nbv's display formatter from its startup folder.
startup = os.path.join(state, 'ipython', 'profile_default', 'startup')
os.makedirs(startup, exist_ok=True)
with open(os.path.join(startup, '00-nbv.py'), 'w') as f:
    f.write(${JSON.stringify(KERNEL_STARTUP)})
os.environ['IPYTHONDIR'] = os.path.join(state, 'ipython')

progress = open('${PROGRESS_FILE}', 'w', buffering=1)
started = [0]
def on_cell_start(cell, cell_index, **_):
    if cell.cell_type == 'code' and cell.source.strip() and 'injected-parameters' not in cell.metadata.get('tags', []):
        started[0] += 1
        progress.write(json.dumps({'n': started[0], 'of': code_cells, 'cell': cell_index}) + '\n')

out_path = '${EXECUTED_NOTEBOOK}'
try:
    papermill.execute_notebook(
        nb, out_path, parameters=params, cwd=os.path.dirname(nb_path),
        progress_bar=False, log_output=False, request_save_on_cell_execute=True, on_cell_start=on_cell_start)
except papermill.PapermillExecutionError as e:
    # papermill raises after the run for any error output, also one of a raises-exception cell
    # that nbclient ran past: only an error elsewhere (SystemExit(0) aside, as papermill does) fails.
    def failed(cell):
        if cell.cell_type != 'code' or 'raises-exception' in cell.metadata.get('tags', []):
            return False
        errors = [o for o in cell.get('outputs', []) if o.output_type == 'error']
        if any(not (o.ename == 'SystemExit' and o.evalue in ('', '0')) for o in errors):
            return True
        return not errors and cell.metadata.get('papermill', {}).get('exception') is True
    if any(failed(c) for c in nbformat.read(out_path, as_version=4).cells):
        print('cell %s raised %s: %s' % (e.exec_count, e.ename, e.evalue), file=sys.stderr)
        sys.exit(${EXIT_CELL_FAILED})
except Exception as e:
    if os.path.exists(out_path):
        # The kernel died or stopped answering mid-run: the executed notebook tells which cell.
        print('%s: %s' % (type(e).__name__, e), file=sys.stderr)
        sys.exit(${EXIT_CELL_FAILED})
    fail(type(e).__name__, str(e) or repr(e))
`;

/**
 * The execute step: the driver above, with the notebook and the parameters from the
 * environment (user input never becomes script text). It always exits 0 so that the report
 * step runs; the outcome is in EXIT_CODE_FILE.
 */
export const EXECUTE_SCRIPT = [
  'set -u',
  `mkdir -p "${STATE_DIR}" && rm -f "${EXECUTE_ERROR_FILE}" "${EXECUTED_NOTEBOOK}"`,
  '[ -n "${HOME:-}" ] && mkdir -p "$HOME"',
  'if ! command -v python3 >/dev/null 2>&1; then',
  `  echo '{"reason":"PythonNotFound","message":"python3 is not on the PATH of the execute step; podConfig.containerImage needs python3 with papermill and ipykernel"}' > "${EXECUTE_ERROR_FILE}"`,
  `  echo ${EXIT_NO_PYTHON} > "${EXIT_CODE_FILE}"; exit 0`,
  'fi',
  `python3 - > "${EXECUTE_LOG}" 2>&1 <<'NBV_DRIVER_END'`,
  DRIVER.trim(),
  'NBV_DRIVER_END',
  `echo $? > "${EXIT_CODE_FILE}"`,
  `tail -c 4000 "${EXECUTE_LOG}"`,
  'exit 0',
].join('\n');

export interface ReportConfig {
  notebookPath: string;
  /** Absolute path of the golden notebook inside the pod, when there is one. */
  goldenPath?: string;
  comparisonConfig?: unknown;
  validationConfig?: unknown;
}

export function goldenPathInPod(relativePath: string): string {
  return `${GOLDEN_DIR}/${relativePath}`;
}

/** Arguments of the nbv image for the report step. */
export const REPORT_ARGS = ['report', '--termination-message', '/dev/termination-log'];
