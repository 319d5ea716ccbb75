/**
 * Kuma's durations in Mesh mtls (`24h`, `1h30m`, `10y`, `1d`): Go's units plus `d` (24h) and `y`
 * (365d), as Kuma's builtin CA accepts them (`caCert.expiration: 10y`).
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, y: 365 * 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|y)/y;

/** Milliseconds, or undefined when `text` is not such a duration (or is zero). */
export function parseKumaDuration(text: string): number | undefined {
  if (text.length === 0) return undefined;
  PART.lastIndex = 0;
  let total = 0;
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return total > 0 ? Math.round(total) : undefined;
}
