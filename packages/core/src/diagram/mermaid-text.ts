/**
 * Text inside mermaid sequence diagrams: `;` and `#` end or escape statements, and `<`/`>` would be
 * read as HTML, so they become mermaid entity codes; `<br>` is the only markup we emit (joined by
 * `lines`). Participant ids are letters, digits and `_` only.
 */
const ENTITIES: Record<string, string> = { '#': '#35;', ';': '#59;', '<': '#lt;', '>': '#gt;', '\n': ' ', '\r': '' };

export function escapeText(text: string): string {
  return text.replace(/[#;<>\r\n]/g, (c) => ENTITIES[c] ?? c);
}

/** Escaped lines joined with `<br>`. */
export function lines(...parts: Array<string | undefined | false>): string {
  return parts.filter((p): p is string => typeof p === 'string' && p !== '').map(escapeText).join('<br>');
}

export function participantId(text: string): string {
  const id = text.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z]/.test(id) ? id : `P_${id}`;
}

/** Compact JSON of a policy conf, cut to `max` characters. */
export function summarizeConf(conf: unknown, max = 90): string {
  const json = JSON.stringify(conf) ?? 'null';
  return json.length > max ? `${json.slice(0, max - 1)}…` : json;
}

export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
