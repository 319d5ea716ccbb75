import { MeshcapError } from '../errors.ts';

/**
 * Envoy's admin `name_regex=`: an RE2 pattern that must match a resource name in full. JavaScript
 * regexes backtrack where RE2 runs in linear time, so patterns RE2 refuses (lookaround,
 * backreferences) are refused here too, and so are quantified groups that themselves repeat or
 * alternate — the shapes that make a backtracking engine take exponential time.
 */

function invalid(pattern: string, why: string): MeshcapError {
  return new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `Error while parsing name_regex from ${pattern}: ${why}`, [{ path: 'name_regex', message: why }]);
}

interface Group {
  repeats: boolean;
  alternates: boolean;
}

/** Refuses shapes like `(a+)+`, `(a|aa)*`, `(.*){2,}`; quantifiers on single atoms stay allowed. */
function checkBacktracking(pattern: string): string | undefined {
  const stack: Group[] = [{ repeats: false, alternates: false }];
  let closed: Group | undefined; // the group that just ended, if the next token quantifies it
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    const top = stack[stack.length - 1]!;
    const quantifier = ch === '*' || ch === '+' || ch === '?' || (ch === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i)));
    if (quantifier) {
      const unbounded = ch === '*' || ch === '+' || (ch === '{' && /^\{\d+,\}/.test(pattern.slice(i))) || (ch === '{' && Number(/^\{\d+,(\d+)\}/.exec(pattern.slice(i))?.[1] ?? 0) > 1);
      if (closed && unbounded && (closed.repeats || closed.alternates)) return 'a repeated group that itself repeats or alternates is not supported (it can take exponential time)';
      if (unbounded) top.repeats = true;
      if (ch === '{') i = pattern.indexOf('}', i);
      else if (pattern[i + 1] === '?' || pattern[i + 1] === '+') i++;
      closed = undefined;
      continue;
    }
    closed = undefined;
    if (ch === '\\') {
      i++;
    } else if (ch === '[') {
      // Skip a character class: `]` right after `[` or `[^` is literal.
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
      i = j;
    } else if (ch === '(') {
      stack.push({ repeats: false, alternates: false });
      // `(?:`, `(?<name>`, `(?P<name>`: skip the group's prefix so its `?` is not read as a quantifier.
      if (pattern[i + 1] === '?') {
        const end = pattern[i + 2] === ':' ? i + 2 : pattern.indexOf('>', i);
        if (end > i) i = end;
      }
    } else if (ch === ')') {
      if (stack.length > 1) {
        closed = stack.pop()!;
        const parent = stack[stack.length - 1]!;
        // Conservative: a repetition or alternation anywhere inside counts for the enclosing groups too.
        parent.repeats ||= closed.repeats;
        parent.alternates ||= closed.alternates;
      }
    } else if (ch === '|') {
      top.alternates = true;
    }
  }
  return undefined;
}

/** A matcher for resource names; undefined pattern or "" matches everything (as in Envoy). */
export function compileNameRegex(pattern: string | undefined): (name: string) => boolean {
  if (pattern === undefined || pattern === '') return () => true;
  if (pattern.length > 1024) throw invalid(pattern.slice(0, 64) + '…', 'pattern longer than 1024 characters');
  const re = compileRe2(pattern);
  if (typeof re === 'string') throw invalid(pattern, re);
  return (name) => re.test(name);
}

/**
 * An RE2 pattern as a JavaScript regex matching a whole string, or why it cannot be one: RE2 refuses
 * lookaround and backreferences, and shapes that backtrack exponentially here are refused too.
 * Shared by `name_regex` and the policies that carry RE2 patterns (MeshHTTPRoute matches).
 */
export function compileRe2(pattern: string): RegExp | string {
  if (/\(\?<?[=!]/.test(pattern)) return 'lookaround is not supported by RE2';
  if (/\\[1-9]|\\k</.test(pattern)) return 'backreferences are not supported by RE2';
  const risky = checkBacktracking(pattern);
  if (risky) return risky;
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
