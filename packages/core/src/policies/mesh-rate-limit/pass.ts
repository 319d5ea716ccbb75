import { MeshcapError } from '../../errors.ts';
import { durationToMs } from '../../model/policies/common.ts';
import type { ActingPolicy, HttpPass, TcpPass } from '../../proxy/chain.ts';
import type { Applied, ConfSource } from '../../proxy/policies/conf-source.ts';
import { policyHttpPass, policyTcpPass } from '../../proxy/policies/policy-pass.ts';
import { RATE_LIMIT_DEFAULT_STATUS, type MeshRateLimitConf } from './schema.ts';

/**
 * MeshRateLimit, local: a token bucket per inbound (and per client rule), as Envoy's local rate
 * limit filters keep one per listener: `num` tokens, all refilled every `interval`, starting full.
 * HTTP requests over the limit get 429 (or `onRateLimit.status`) with a body that says why; TCP
 * connections over the limit are closed before any upstream is contacted. Buckets live as long as
 * the config version (a new version starts them full, as an Envoy listener update does).
 */

export const RATE_LIMITED_REASON = 'local_rate_limited';

/** Envoy's token bucket with whole refills; `now` in milliseconds (performance.now by default). */
export class TokenBucket {
  private tokens: number;
  private filledAt: number;

  constructor(
    readonly capacity: number,
    readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = capacity;
    this.filledAt = now();
  }

  /** Takes a token; false when none is left until the next refill. */
  take(): boolean {
    const t = this.now();
    const fills = Math.floor((t - this.filledAt) / this.intervalMs);
    if (fills > 0) {
      this.tokens = this.capacity;
      this.filledAt += fills * this.intervalMs;
    }
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}

interface Limit {
  policy: ActingPolicy;
  bucket: TokenBucket;
  /** `3 requests per 10s`, as written in the policy. */
  rate: string;
}

type RateLimit = Applied<MeshRateLimitConf>;

function limit(policy: ActingPolicy, rate: { num: number; interval: string } | undefined, unit: string, now: (() => number) | undefined): Limit | undefined {
  if (!rate) return undefined;
  return { policy, bucket: new TokenBucket(rate.num, durationToMs(rate.interval), now), rate: `${rate.num} ${unit} per ${rate.interval}` };
}

export function rateLimitTcpPass(source: ConfSource<RateLimit>, now?: () => number): TcpPass | undefined {
  const limits = source.map((r) => (r.conf.local?.tcp?.disabled ? undefined : limit(r.policy, r.conf.local?.tcp?.connectionRate, 'connections', now)));
  return policyTcpPass('MeshRateLimit', 'rate-limit', limits, {
    onConnect(ctx, l) {
      if (!l.bucket.take()) ctx.deny(l.policy, `${RATE_LIMITED_REASON}: over ${l.rate}`);
    },
  });
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A header a policy puts on a local reply must not be able to split the response. */
function checkHeader(policy: ActingPolicy, name: string, value: string): void {
  if (!TOKEN.test(name) || /[\r\n\0]/.test(value)) {
    throw new MeshcapError('MESHCAP_ERR_INVALID_RESOURCE', `${policy.type} ${policy.name}: onRateLimit header ${JSON.stringify(name)} has an invalid name or value`, [
      { path: 'spec.from[].default.local.http.onRateLimit.headers', message: `header ${JSON.stringify(name)}: names are HTTP tokens, values have no CR, LF or NUL` },
    ]);
  }
}

interface HttpLimit extends Limit {
  status: number;
  headers: Record<string, string> | undefined;
  body: string;
}

export function rateLimitHttpPass(source: ConfSource<RateLimit>, listener: string, now?: () => number): HttpPass | undefined {
  const limits = source.map((r): HttpLimit | undefined => {
    const http = r.conf.local?.http;
    const l = http?.disabled ? undefined : limit(r.policy, http?.requestRate, 'requests', now);
    if (!l) return undefined;
    const on = http?.onRateLimit;
    // Envoy's header mutations: `set` replaces, `add` appends; a local reply has none to replace.
    const pairs = [...(on?.headers?.set ?? []), ...(on?.headers?.add ?? [])];
    for (const h of pairs) checkHeader(r.policy, h.name, h.value);
    return {
      ...l,
      status: on?.status ?? RATE_LIMIT_DEFAULT_STATUS,
      headers: pairs.length ? Object.fromEntries(pairs.map((h) => [h.name, h.value])) : undefined,
      body: `local_rate_limited: ${listener} takes at most ${l.rate} (${l.policy.type} ${l.policy.name})\n`,
    };
  });
  return policyHttpPass('MeshRateLimit', 'rate-limit', limits, {
    onRequest(ctx, l) {
      if (l.bucket.take()) return;
      ctx.record(l.policy, `rate limit ${l.status} (over ${l.rate})`);
      ctx.respond({ status: l.status, body: l.body, headers: l.headers, verdict: 'denied', reason: RATE_LIMITED_REASON });
    },
  });
}
