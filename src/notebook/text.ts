// Text helpers for reports: ANSI stripping, bounded excerpts and markup escaping.

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

// Characters XML 1.0 does not allow; HTML shows none of them either.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** Text as XML or HTML content or attribute value. */
export function escapeMarkup(text: string): string {
  return text
    .replace(INVALID_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
