import { BlockList, isIP } from 'node:net';
import type { FlowAddress } from '../../flows/index.ts';
import { canonicalAddress } from '../../model/index.ts';
import type { ConfSource } from '../policies/conf-source.ts';
import { fields, int, list, reject, str } from './reader.ts';

/**
 * Envoy's filter chain selection, for the criteria meshcap renders: destination port, destination
 * address (`prefix_ranges`) and client address (`source_prefix_ranges`), tried in that order, each
 * narrowing the chains to those matching most specifically (the longest prefix), or else to those
 * that do not set the criterion. The policy passes of a listener pick per connection through it.
 */

interface Range {
  list: BlockList;
  family: 'ipv4' | 'ipv6';
  length: number;
}

export interface ChainMatch {
  destinationPort?: number;
  destination: readonly Range[];
  source: readonly Range[];
  /** The match as written, to refuse two chains that match the same connections. */
  key: string;
}

function cidr(value: unknown, where: string): Range {
  const c = fields(value, where, ['address_prefix', 'prefix_len']);
  const prefix = str(c['address_prefix'], `${where}.address_prefix`);
  const v = isIP(prefix);
  if (v === 0) reject(`${where}.address_prefix`, `"${prefix}" is not an IP address`);
  const max = v === 4 ? 32 : 128;
  const length = c['prefix_len'] === undefined ? 0 : int(c['prefix_len'], `${where}.prefix_len`);
  if (length < 0 || length > max) reject(`${where}.prefix_len`, `must be 0..${max}`);
  const family = v === 4 ? 'ipv4' : 'ipv6';
  const blocks = new BlockList();
  blocks.addSubnet(prefix, length, family);
  return { list: blocks, family, length };
}

export function decodeFilterChainMatch(value: unknown, where: string): ChainMatch {
  if (value === undefined) return { destination: [], source: [], key: '{}' };
  const m = fields(value, where, ['destination_port', 'prefix_ranges', 'source_prefix_ranges']);
  const destinationPort = m['destination_port'] === undefined ? undefined : int(m['destination_port'], `${where}.destination_port`);
  const ranges = (key: string): Range[] => list(m[key], `${where}.${key}`).map((r, i) => cidr(r, `${where}.${key}[${i}]`));
  return { destinationPort, destination: ranges('prefix_ranges'), source: ranges('source_prefix_ranges'), key: JSON.stringify(m) };
}

/** The longest range containing `address` (-1: none does, undefined: the criterion is not set). */
function longest(ranges: readonly Range[], address: string): number | undefined {
  if (ranges.length === 0) return undefined;
  const a = canonicalAddress(address);
  const family = isIP(a) === 6 ? 'ipv6' : 'ipv4';
  let best = -1;
  for (const r of ranges) if (r.family === family && r.length > best && r.list.check(a, family)) best = r.length;
  return best;
}

/** Narrows `chains` by one criterion: the most specific matches, else the chains that do not set it. */
function narrow(chains: number[], score: (i: number) => number | undefined): number[] {
  let best = -1;
  for (const i of chains) best = Math.max(best, score(i) ?? -1);
  if (best >= 0) return chains.filter((i) => score(i) === best);
  return chains.filter((i) => score(i) === undefined);
}

/** Which chain of a listener serves a connection. */
export class FilterChainSelector {
  constructor(private readonly matches: readonly ChainMatch[]) {}

  /** The chain's index; -1 when none matches (Envoy closes such a connection). */
  select(client: FlowAddress, destination: FlowAddress): number {
    let chains = this.matches.map((_, i) => i);
    const m = this.matches;
    chains = narrow(chains, (i) => (m[i]!.destinationPort === undefined ? undefined : m[i]!.destinationPort === destination.port ? 0 : -1));
    chains = narrow(chains, (i) => longest(m[i]!.destination, destination.address));
    chains = narrow(chains, (i) => longest(m[i]!.source, client.address));
    return chains[0] ?? -1;
  }
}

/** One value per filter chain; `pick` returns that of the chain the connection matches. */
class ChainSource<T> implements ConfSource<T> {
  readonly empty: boolean;
  constructor(private readonly selector: FilterChainSelector, private readonly values: ReadonlyArray<T | undefined>) {
    this.empty = values.every((v) => v === undefined);
  }
  pick(client: FlowAddress, destination: FlowAddress): T | undefined {
    return this.values[this.selector.select(client, destination)];
  }
  candidates(): T[] {
    return [...new Set(this.values.filter((v): v is T => v !== undefined))];
  }
  map<U>(f: (t: T) => U | undefined): ConfSource<U> {
    return new ChainSource(this.selector, this.values.map((v) => (v === undefined ? undefined : f(v))));
  }
}

export function chainSource<T>(selector: FilterChainSelector, values: ReadonlyArray<T | undefined>): ConfSource<T> {
  return new ChainSource(selector, values);
}
