// Timestamps and durations in outputs: masked before a normalized comparison, since every run
// prints different ones.
import { UserError } from '../errors.ts';

const TIMESTAMP_MASK = '<TIMESTAMP>';

/** Built-in patterns, longest first so that a date-time is masked whole, not as date + time. */
const BUILTIN_TIMESTAMP_PATTERNS: readonly string[] = [
  // ISO-8601 date-times, including "YYYY-MM-DD HH:MM:SS", fractions and zones.
  String.raw`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?`,
  // ISO dates alone.
  String.raw`\b\d{4}-\d{2}-\d{2}\b`,
  // US dates, with an optional time: 12/31/2024, 1/2/24 3:04 PM.
  String.raw`\b\d{1,2}/\d{1,2}/\d{2,4}(?:,?\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp][Mm])?)?`,
  // Times of day and clock durations: 13:45:10, 0:00:01.25.
  String.raw`\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b`,
  // Durations: 1.5s, 250 ms, 3 minutes, 2.3 µs.
  String.raw`\b\d+(?:\.\d+)?\s?(?:ns|µs|us|ms|s|secs?|seconds?|min|mins|minutes?|h|hrs?|hours?)\b`,
  // Unix times in seconds (2001 to 2033) or milliseconds, optionally fractional.
  String.raw`\b1\d{9}(?:\d{3})?(?:\.\d+)?\b`,
];

export type Masker = (text: string) => string;

/**
 * One pass over the text for all patterns. Custom patterns are the user's regular expressions
 * (JavaScript syntax); an invalid one is an error naming it.
 */
export function timestampMasker(custom: readonly string[] = []): Masker {
  custom.forEach((pattern, i) => {
    try {
      new RegExp(pattern);
    } catch (err) {
      throw new UserError(
        `comparisonConfig.customTimestampPatterns[${i}]: not a valid regular expression: ${(err as Error).message}`,
      );
    }
  });
  const all = new RegExp(
    [...custom, ...BUILTIN_TIMESTAMP_PATTERNS].map((p) => `(?:${p})`).join('|'),
    'gu',
  );
  return (text) => text.replace(all, TIMESTAMP_MASK);
}
