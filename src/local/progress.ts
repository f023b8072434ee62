// What `nbv run` shows while it works: one line per step on stderr and, on a terminal, a
// live "cell N of M" line for the execute step.
import type { Writable } from 'node:stream';
import { formatDuration } from '../util/duration.ts';
import type { RunEvents } from './runner.ts';

export function progressDisplay(out: Writable, tty: boolean): RunEvents {
  let live = false;
  const clear = () => {
    if (live) out.write('\r\u001b[2K');
    live = false;
  };
  return {
    stepStarted(name) {
      clear();
      if (tty) {
        out.write(`  ${name} …`);
        live = true;
      }
    },
    stepFinished(name, exitCode, ms) {
      clear();
      out.write(
        `  ${name} ${exitCode === 0 ? 'done' : `exited ${exitCode}`} (${formatDuration(ms)})\n`,
      );
    },
    cellStarted(n, of, elapsedMs) {
      if (!tty) return;
      clear();
      out.write(`  execute: cell ${n} of ${of} (${formatDuration(elapsedMs)})`);
      live = true;
    },
    notice(text) {
      clear();
      out.write(`${text}\n`);
    },
  };
}
