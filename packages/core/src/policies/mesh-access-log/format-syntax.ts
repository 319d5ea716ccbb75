/** A piece of an access log format: literal text, or a command operator such as `%REQ(:METHOD)%` or `%START_TIME%`. */
export type AccessLogToken = string | { operator: string; argument?: string; maxLength?: number };

/**
 * Splits an access log format into literal text and command operators (Envoy's `%OPERATOR(arg):N%`
 * syntax, Kuma's `%KUMA_*%` ones included). `%%` is a literal percent sign; an unterminated `%` is
 * kept as text.
 */
export function parseAccessLogFormat(format: string): AccessLogToken[] {
  const tokens: AccessLogToken[] = [];
  const re = /%%|%([A-Z_0-9]+)(?:\(([^)]*)\))?(?::(\d+))?%/g;
  let last = 0;
  let text = '';
  for (const m of format.matchAll(re)) {
    text += format.slice(last, m.index);
    last = m.index + m[0].length;
    if (m[0] === '%%') {
      text += '%';
      continue;
    }
    if (text) tokens.push(text);
    text = '';
    tokens.push({ operator: m[1]!, ...(m[2] !== undefined ? { argument: m[2] } : {}), ...(m[3] !== undefined ? { maxLength: Number(m[3]) } : {}) });
  }
  text += format.slice(last);
  if (text) tokens.push(text);
  return tokens;
}
