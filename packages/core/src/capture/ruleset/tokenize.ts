/** One word of an iptables-save line, with where it sits so unknown parts can be kept verbatim. */
export interface Token {
  value: string;
  /** The word was quoted (so `"-x"` is a value, not an option). */
  quoted: boolean;
  start: number;
  end: number;
}

/**
 * Splits a line the way iptables-restore does: whitespace separates words, `"…"` quotes a word and
 * a backslash inside quotes escapes the next character (iptables-save escapes `"`, `\` and `'`).
 * Returns undefined when a quote is not closed.
 */
export function tokenizeLine(line: string): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const ch = line[i];
    if (ch === ' ' || ch === '\t') {
      i++;
      continue;
    }
    const start = i;
    let value = '';
    let quoted = false;
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t') {
      if (line[i] === '"') {
        quoted = true;
        i++;
        let closed = false;
        while (i < line.length) {
          const c = line[i];
          if (c === '\\' && i + 1 < line.length) {
            value += line[i + 1];
            i += 2;
          } else if (c === '"') {
            closed = true;
            i++;
            break;
          } else {
            value += c;
            i++;
          }
        }
        if (!closed) return undefined;
      } else {
        value += line[i];
        i++;
      }
    }
    tokens.push({ value, quoted, start, end: i });
  }
  return tokens;
}
