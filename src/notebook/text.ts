// Text helpers for reports: ANSI stripping and bounded excerpts.

// CSI sequences (colours, cursor moves) and OSC sequences (titles, links), as IPython emits them.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** At most `max` characters: the head and the tail with a marker between (tracebacks end with the cause). */
export function truncateMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = `\n… ${text.length - max} characters omitted …\n`;
  const keep = Math.max(0, max - marker.length);
  const head = Math.floor(keep / 3);
  return text.slice(0, head) + marker + text.slice(text.length - (keep - head));
}

/** At most `max` characters from the start. */
export function truncateEnd(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
