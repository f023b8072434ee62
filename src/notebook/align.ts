// Sequence alignment: Myers' O((N+M)·D) diff for the common subsequence, then pairing of what
// lies between the common runs by similarity. Cells and diff lines both use it.

export type Step =
  | { op: 'equal' | 'change'; a: number; b: number }
  | { op: 'delete'; a: number }
  | { op: 'insert'; b: number };

/** Edit distance beyond which Myers gives up and the middle is one block of deletes and inserts. */
const MAX_EDITS = 4000;

/** Myers' greedy diff on keys compared with ===. Only 'equal', 'delete' and 'insert' steps. */
export function myers<T>(a: readonly T[], b: readonly T[]): Step[] {
  // Common prefix and suffix cost nothing and shrink the search.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const head: Step[] = [];
  for (let i = 0; i < start; i++) head.push({ op: 'equal', a: i, b: i });
  const tail: Step[] = [];
  for (let i = 0; i < a.length - endA; i++) tail.push({ op: 'equal', a: endA + i, b: endB + i });
  return [...head, ...middle(a, b, start, endA, endB), ...tail];
}

function middle<T>(
  a: readonly T[],
  b: readonly T[],
  off: number,
  endA: number,
  endB: number,
): Step[] {
  const n = endA - off;
  const m = endB - off;
  const max = Math.min(n + m, MAX_EDITS);
  const size = 2 * max + 1;
  const v = new Int32Array(size);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice(max - d, max + d + 1));
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && (v[max + k - 1] as number) < (v[max + k + 1] as number))
          ? (v[max + k + 1] as number)
          : (v[max + k - 1] as number) + 1;
      let y = x - k;
      while (x < n && y < m && a[off + x] === b[off + y]) {
        x++;
        y++;
      }
      v[max + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) {
    const steps: Step[] = [];
    for (let i = 0; i < n; i++) steps.push({ op: 'delete', a: off + i });
    for (let j = 0; j < m; j++) steps.push({ op: 'insert', b: off + j });
    return steps;
  }
  // Walk the trace back from (n, m); trace[d] holds v before step d, indexed from k = -d.
  const steps: Step[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace[d] as Int32Array; // v as it was when step d began
    const at = (k: number) => prev[k + d] as number;
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX + (down ? 0 : 1) && y > prevY + (down ? 1 : 0)) {
      x--;
      y--;
      steps.push({ op: 'equal', a: off + x, b: off + y });
    }
    if (down) {
      y--;
      steps.push({ op: 'insert', b: off + y });
    } else {
      x--;
      steps.push({ op: 'delete', a: off + x });
    }
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    steps.push({ op: 'equal', a: off + x, b: off + y });
  }
  return steps.reverse();
}

/** Largest deletes × inserts block paired by dynamic programming; larger ones pair in order. */
const MAX_PAIRING_CELLS = 40_000;

/**
 * Myers on the keys, then within each block of deletes and inserts the pairs that maximise the
 * summed similarity (order kept): a changed item becomes one 'change', an inserted item stays an
 * insert, so one new item does not misalign every later one. `similarity` is in [0, 1]; pairs
 * below `threshold` are never made.
 */
export function align<T>(
  a: readonly T[],
  b: readonly T[],
  key: (item: T) => string,
  similarity: (x: T, y: T) => number,
  threshold = 0.3,
): Step[] {
  const steps = myers(a.map(key), b.map(key));
  const out: Step[] = [];
  let dels: number[] = [];
  let ins: number[] = [];
  const flush = () => {
    out.push(...pairBlock(dels, ins, (i, j) => similarity(a[i] as T, b[j] as T), threshold));
    dels = [];
    ins = [];
  };
  for (const s of steps) {
    if (s.op === 'delete') dels.push(s.a);
    else if (s.op === 'insert') ins.push(s.b);
    else {
      flush();
      out.push(s);
    }
  }
  flush();
  return out;
}

function pairBlock(
  dels: number[],
  ins: number[],
  sim: (a: number, b: number) => number,
  threshold: number,
): Step[] {
  if (dels.length === 0 || ins.length === 0) {
    return [
      ...dels.map((a): Step => ({ op: 'delete', a })),
      ...ins.map((b): Step => ({ op: 'insert', b })),
    ];
  }
  const n = dels.length;
  const m = ins.length;
  if (n * m > MAX_PAIRING_CELLS) {
    const steps: Step[] = [];
    for (let i = 0; i < Math.max(n, m); i++) {
      const a = dels[i];
      const b = ins[i];
      if (a !== undefined && b !== undefined && sim(a, b) >= threshold)
        steps.push({ op: 'change', a, b });
      else {
        if (a !== undefined) steps.push({ op: 'delete', a });
        if (b !== undefined) steps.push({ op: 'insert', b });
      }
    }
    return steps;
  }
  // score[i][j]: best summed similarity aligning dels[i..] with ins[j..].
  const score = new Float64Array((n + 1) * (m + 1));
  const at = (i: number, j: number) => i * (m + 1) + j;
  const pairSim = new Float64Array(n * m);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const s = sim(dels[i] as number, ins[j] as number);
      pairSim[i * m + j] = s;
      const pair = s >= threshold ? s + (score[at(i + 1, j + 1)] as number) : -1;
      score[at(i, j)] = Math.max(
        pair,
        score[at(i + 1, j)] as number,
        score[at(i, j + 1)] as number,
      );
    }
  }
  const steps: Step[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    const s = pairSim[i * m + j] as number;
    if (s >= threshold && score[at(i, j)] === s + (score[at(i + 1, j + 1)] as number)) {
      steps.push({ op: 'change', a: dels[i] as number, b: ins[j] as number });
      i++;
      j++;
    } else if (score[at(i, j)] === score[at(i + 1, j)]) {
      steps.push({ op: 'delete', a: dels[i] as number });
      i++;
    } else {
      steps.push({ op: 'insert', b: ins[j] as number });
      j++;
    }
  }
  for (; i < n; i++) steps.push({ op: 'delete', a: dels[i] as number });
  for (; j < m; j++) steps.push({ op: 'insert', b: ins[j] as number });
  return steps;
}
