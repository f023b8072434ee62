import { UserError, errorMessage } from '../errors.ts';
import { processIo, writeLine, type CliIo, type Command } from './io.ts';

interface CommandEntry {
  summary: string;
  load: () => Promise<{ run: Command }>;
}

// Subcommands are loaded on demand so that `nbv validate` does not pay for the Kubernetes client.
const commands: Record<string, CommandEntry> = {
  run: {
    summary: 'run a NotebookValidationJob on this machine',
    load: () => import('./commands/run.ts'),
  },
  report: {
    summary: "the validation pod's report step (reads /workspace/.nbv)",
    load: () => import('./commands/report.ts'),
  },
  validate: {
    summary: 'check manifests as admission would',
    load: () => import('./commands/validate.ts'),
  },
  render: {
    summary: 'print the objects the operator would create',
    load: () => import('./commands/render.ts'),
  },
  crds: {
    summary: 'print the CustomResourceDefinitions',
    load: () => import('./commands/crds.ts'),
  },
  install: {
    summary: 'print the manifests that install the operator (nbv install --print)',
    load: () => import('./commands/install.ts'),
  },
  model: {
    summary: 'model tools (nbv model inspect DIR)',
    load: () => import('./commands/model.ts'),
  },
  doctor: {
    summary: 'check the Python environment and tools',
    load: () => import('./commands/doctor.ts'),
  },
  setup: { summary: 'create the Python environment', load: () => import('./commands/setup.ts') },
  operator: {
    summary: 'run the controllers and admission webhook against a cluster',
    load: () => import('./commands/operator.ts'),
  },
  submit: {
    summary: 'create a NotebookValidationJob in the cluster (--wait follows it)',
    load: () => import('./commands/submit.ts'),
  },
  status: {
    summary: "a NotebookValidationJob's phase and per-cell results",
    load: () => import('./commands/status.ts'),
  },
  dev: {
    summary: 'local control plane (nbv dev cluster up|down|status)',
    load: () => import('./commands/dev.ts'),
  },
};

function usage(io: CliIo): void {
  writeLine(io.stdout, 'Usage: nbv COMMAND [ARGS]\n\nCommands:');
  for (const [name, entry] of Object.entries(commands)) {
    writeLine(io.stdout, `  ${name.padEnd(10)} ${entry.summary}`);
  }
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    usage(io);
    return name ? 0 : 2;
  }
  const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!entry) {
    writeLine(io.stderr, `nbv: unknown command "${name}" (see nbv --help)`);
    return 2;
  }
  try {
    const { run } = await entry.load();
    return await run(rest, io);
  } catch (err) {
    if (err instanceof UserError) {
      writeLine(io.stderr, `nbv ${name}: ${err.message}`);
      return err.exitCode;
    }
    if (io.env.NBV_DEBUG && err instanceof Error) writeLine(io.stderr, err.stack);
    writeLine(io.stderr, `nbv ${name}: internal error: ${errorMessage(err)}`);
    return 70;
  }
}
