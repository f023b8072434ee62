// Numbers in text compared numerically within a tolerance: "loss 0.30000001" matches
// "loss 0.3" when the rest of the text is the same. Not rounding: 0.12344 and 0.12346 are close
// (|a-b| = 2e-5) although they round apart.

const NUMBER = /[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/g;

interface Split {
  /** The text with every number replaced by a placeholder. */
  template: string;
  numbers: number[];
}

function splitNumbers(text: string): Split {
  const numbers: number[] = [];
  const template = text.replace(NUMBER, (m) => {
    numbers.push(Number(m));
    return '\u0000';
  });
  return { template, numbers };
}

/** Close when the absolute or the relative difference is within the tolerance (like math.isclose). */
export function close(a: number, b: number, tolerance: number): boolean {
  if (a === b) return true;
  const diff = Math.abs(a - b);
  return diff <= tolerance || diff <= tolerance * Math.max(Math.abs(a), Math.abs(b));
}

export function numericallyEqual(a: string, b: string, tolerance: number): boolean {
  if (a === b) return true;
  const x = splitNumbers(a);
  const y = splitNumbers(b);
  if (x.template !== y.template || x.numbers.length !== y.numbers.length) return false;
  return x.numbers.every((n, i) => close(n, y.numbers[i] as number, tolerance));
}
