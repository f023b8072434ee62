// Parameter counts written the way model cards and OME write them: `135M`, `8.03B`, `1.5T`.

const SUFFIX: Record<string, number> = { '': 1, K: 1e3, M: 1e6, B: 1e9, G: 1e9, T: 1e12 };
const SIZE = /^([0-9]+(?:\.[0-9]+)?)\s*([KMBGT]?)$/i;

export function parseParameterSize(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * (SUFFIX[(match[2] ?? '').toUpperCase()] ?? Number.NaN);
}
