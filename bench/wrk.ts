// wrk's output, read once for every part of the bench: requests/s, the --latency percentiles (ms),
// and the error line when there was one.

export interface WrkResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  /** `Non-2xx or 3xx responses: N` or `Socket errors: …`, when wrk printed one. */
  errors?: string;
}

function percentileMs(out: string, p: string): number {
  const m = new RegExp(`\\n\\s+${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
  return Number(m?.[1]) * (m?.[2] === 'us' ? 0.001 : m?.[2] === 's' ? 1000 : 1);
}

export function parseWrk(out: string): WrkResult {
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out)?.[0];
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]), p50ms: percentileMs(out, '50'), p99ms: percentileMs(out, '99'), ...(errors ? { errors } : {}) };
}
