/**
 * Myers' O((N+M)·D) difference algorithm ("An O(ND) Difference Algorithm and Its Variations", 1986)
 * on lines, and GNU-style unified output. Common head and tail are cut first, so the usual case —
 * a few changed lines in a large dump — costs little; past `maxEdits` the middle is reported as one
 * replaced block instead of searching further.
 */

export type EditOp = ' ' | '-' | '+';

export interface Edit {
  op: EditOp;
  line: string;
}

/** Shortest edit script from `a` to `b`, by element equality (`===`). */
export function diffSequences<T>(a: readonly T[], b: readonly T[], maxEdits = 2000): Array<{ op: EditOp; item: T }> {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const out: Array<{ op: EditOp; item: T }> = [];
  for (let i = 0; i < head; i++) out.push({ op: ' ', item: a[i]! });
  out.push(...middle(a.slice(head, a.length - tail), b.slice(head, b.length - tail), maxEdits));
  for (let i = a.length - tail; i < a.length; i++) out.push({ op: ' ', item: a[i]! });
  return out;
}

function middle<T>(a: readonly T[], b: readonly T[], maxEdits: number): Array<{ op: EditOp; item: T }> {
  const n = a.length;
  const m = b.length;
  if (n + m === 0) return [];
  const max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  // v[offset + k] = furthest x reached on diagonal k = x - y. trace[d] keeps v's diagonals -d-1..d+1 after step d.
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  const at = (d: number, k: number): number => trace[d]![k + d + 1]!;
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    trace.push(v.slice(offset - d - 1, offset + d + 2));
  }
  if (found < 0) {
    // Too different to search further: everything old out, everything new in.
    return [...a.map((item) => ({ op: '-' as const, item })), ...b.map((item) => ({ op: '+' as const, item }))];
  }
  const edits: Array<{ op: EditOp; item: T }> = [];
  let x = n;
  let y = m;
  const diagonalTo = (toX: number, toY: number): void => {
    while (x > toX && y > toY) {
      x--;
      y--;
      edits.push({ op: ' ', item: a[x]! });
    }
  };
  for (let d = found; d > 0; d--) {
    const k = x - y;
    const down = k === -d || (k !== d && at(d - 1, k - 1) < at(d - 1, k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = at(d - 1, prevK);
    diagonalTo(prevX, prevX - prevK);
    if (down) edits.push({ op: '+', item: b[--y]! });
    else edits.push({ op: '-', item: a[--x]! });
  }
  diagonalTo(0, 0);
  return edits.reverse();
}

export interface UnifiedDiffOptions {
  fromLabel?: string;
  toLabel?: string;
  /** Unchanged lines shown around each change (default 3). */
  context?: number;
}

function range(start: number, count: number): string {
  // GNU diff: an empty range names the line before it; a count of 1 is left out.
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? `${start}` : `${start},${count}`;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** A unified diff of two texts; '' when they are equal. */
export function unifiedDiff(from: string, to: string, options: UnifiedDiffOptions = {}): string {
  const context = options.context ?? 3;
  const edits = diffSequences(splitLines(from), splitLines(to));
  if (edits.every((e) => e.op === ' ')) return '';
  const out = [`--- ${options.fromLabel ?? 'a'}`, `+++ ${options.toLabel ?? 'b'}`];
  // Line numbers (1-based) in each text at every edit position.
  const oldAt: number[] = [];
  const newAt: number[] = [];
  let o = 1;
  let n = 1;
  for (const e of edits) {
    oldAt.push(o);
    newAt.push(n);
    if (e.op !== '+') o++;
    if (e.op !== '-') n++;
  }
  let i = 0;
  while (i < edits.length) {
    if (edits[i]!.op === ' ') {
      i++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change within reach.
    const start = Math.max(0, i - context);
    let end = i;
    let j = i;
    while (j < edits.length) {
      if (edits[j]!.op !== ' ') {
        end = j;
        j++;
        continue;
      }
      let run = j;
      while (run < edits.length && edits[run]!.op === ' ') run++;
      if (run < edits.length && run - j <= 2 * context) {
        j = run;
        continue;
      }
      break;
    }
    const stop = Math.min(edits.length, end + 1 + context);
    const hunk = edits.slice(start, stop);
    const oldCount = hunk.filter((e) => e.op !== '+').length;
    const newCount = hunk.filter((e) => e.op !== '-').length;
    out.push(`@@ -${range(oldAt[start]!, oldCount)} +${range(newAt[start]!, newCount)} @@`);
    for (const e of hunk) out.push(`${e.op}${e.item}`);
    i = stop;
  }
  return `${out.join('\n')}\n`;
}
