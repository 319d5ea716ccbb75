import type { FlowAddress } from '../../flows/index.ts';
import { normalizeAddress, subsetMatches, type IdentityTags, type InboundPolicy, type PolicyOrigin, type SourceIdentity, type SubsetTag } from '../../policy/index.ts';
import type { ActingPolicy } from '../chain.ts';
import { canonicalAddress } from '../../model/index.ts';

/** What one policy type says for a connection or request, and the policy named on the flow for it. */
export interface Applied<C> {
  readonly conf: C;
  readonly policy: ActingPolicy;
}

/**
 * Chooses what applies to one connection or request. Built once per listener and config version,
 * so `pick` is a lookup: on an inbound, the client's identity and the first rule containing it; on
 * an outbound passthrough, the destination's service; elsewhere one fixed value.
 */
export interface ConfSource<T> {
  /** True when nothing can ever be picked: the pass is left out of the chain. */
  readonly empty: boolean;
  pick(client: FlowAddress, destination: FlowAddress): T | undefined;
  /** Every value `pick` can return (for naming the pass in the chain listing). */
  candidates(): T[];
  /** The same choice, each candidate transformed once here rather than on every `pick`; `undefined` drops it. */
  map<U>(f: (t: T) => U | undefined): ConfSource<U>;
}

/**
 * The policy a merged conf is credited to on flows: the last enabled entry in merge order, the
 * most specific one, which wins wherever entries disagree. Origins carry no confs, so when several
 * entries were merged this names one of them.
 */
export function actingPolicy(origins: readonly PolicyOrigin[]): ActingPolicy | undefined {
  for (let i = origins.length - 1; i >= 0; i--) {
    const o = origins[i]!;
    if (o.enabled) return { type: o.type, name: o.name };
  }
  return undefined;
}

class FixedSource<T> implements ConfSource<T> {
  readonly empty: boolean;
  constructor(private readonly value: T | undefined) {
    this.empty = value === undefined;
  }
  pick(): T | undefined {
    return this.value;
  }
  candidates(): T[] {
    return this.value === undefined ? [] : [this.value];
  }
  map<U>(f: (t: T) => U | undefined): ConfSource<U> {
    return new FixedSource(this.value === undefined ? undefined : f(this.value));
  }
}

const NO_TAGS: IdentityTags = Object.freeze({});

/** Inbound: first rule whose client subset contains the identity of the source address. */
class RuleSource<T> implements ConfSource<T> {
  readonly empty: boolean;
  constructor(
    private readonly subsets: ReadonlyArray<readonly SubsetTag[]>,
    private readonly values: ReadonlyArray<T | undefined>,
    /** What applies to a client no rule contains (MeshTrafficPermission: Deny). */
    private readonly fallback: T | undefined,
    /** Tags by source address; undefined when no rule depends on the client. */
    private readonly tagsByAddress: ReadonlyMap<string, IdentityTags> | undefined,
  ) {
    this.empty = fallback === undefined && values.every((v) => v === undefined);
  }
  pick(client: FlowAddress): T | undefined {
    const tags = this.tagsByAddress ? (this.tagsByAddress.get(normalizeAddress(client.address)) ?? NO_TAGS) : NO_TAGS;
    for (let i = 0; i < this.subsets.length; i++) if (subsetMatches(this.subsets[i]!, tags)) return this.values[i];
    return this.fallback;
  }
  candidates(): T[] {
    return [...this.values, this.fallback].filter((v): v is T => v !== undefined);
  }
  map<U>(f: (t: T) => U | undefined): ConfSource<U> {
    const g = (v: T | undefined): U | undefined => (v === undefined ? undefined : f(v));
    return new RuleSource(this.subsets, this.values.map(g), g(this.fallback), this.tagsByAddress);
  }
}

/** Outbound passthrough: the service whose endpoint is the original destination. */
class DestinationSource<T> implements ConfSource<T> {
  readonly empty: boolean;
  constructor(private readonly byDestination: ReadonlyMap<string, T>) {
    this.empty = byDestination.size === 0;
  }
  pick(_client: FlowAddress, destination: FlowAddress): T | undefined {
    return this.byDestination.get(destinationKey(destination.address, destination.port));
  }
  candidates(): T[] {
    return [...new Set(this.byDestination.values())];
  }
  map<U>(f: (t: T) => U | undefined): ConfSource<U> {
    const out = new Map<string, U>();
    for (const [k, v] of this.byDestination) {
      const u = f(v);
      if (u !== undefined) out.set(k, u);
    }
    return new DestinationSource(out);
  }
}

/** `198.18.0.10|8080`, with the address as {@link canonicalAddress} writes it. */
export function destinationKey(address: string, port: number): string {
  return `${canonicalAddress(address)}|${port}`;
}

export function fixedSource<T>(value: T | undefined): ConfSource<T> {
  return new FixedSource(value);
}

/**
 * The rules of one policy type on one inbound. `fallback` applies to clients no rule contains
 * when the type has at least one rule.
 */
export function inboundSource<C>(policy: InboundPolicy<C> | undefined, identities: readonly SourceIdentity[], fallback?: (p: InboundPolicy<C>) => Applied<C> | undefined): ConfSource<Applied<C>> {
  if (!policy || policy.rules.length === 0) return fixedSource<Applied<C>>(undefined);
  const values = policy.rules.map((r) => {
    const acting = actingPolicy(r.origins);
    return acting ? { conf: r.conf, policy: acting } : undefined;
  });
  // A rule for any client leaves no one to the fallback.
  const coversAll = policy.rules.some((r) => r.subset.length === 0);
  return new RuleSource(
    policy.rules.map((r) => r.subset),
    values,
    coversAll ? undefined : fallback?.(policy),
    policy.sourceDependent ? tagsByAddress(identities) : undefined,
  );
}

/** The identities as a map, built once per listener and version so each pick is one lookup (first entry wins, as in identityOf). */
function tagsByAddress(identities: readonly SourceIdentity[]): ReadonlyMap<string, IdentityTags> {
  const map = new Map<string, IdentityTags>();
  for (const i of identities) if (!map.has(i.address)) map.set(i.address, i.tags);
  return map;
}

export function destinationSource<T>(byDestination: ReadonlyMap<string, T>): ConfSource<T> {
  return new DestinationSource(byDestination);
}
