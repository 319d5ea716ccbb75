import { isIPv4, isIPv6 } from 'node:net';
import type { IpFamily } from './rules.ts';

/** An address or network, normalised the way iptables-save prints it (`10.0.0.0/8`, `2001:2::/48`, host bits cleared). */
export interface Cidr {
  family: IpFamily;
  /** Canonical text with prefix length, e.g. `198.18.0.1/32`. */
  text: string;
  /** Address without the prefix length, canonical. */
  address: string;
  prefixLength: number;
}

function ipv4ToBytes(text: string): number[] {
  return text.split('.').map(Number);
}

function ipv6ToWords(text: string): number[] {
  let s = text;
  let tail: number[] = [];
  // An embedded IPv4 tail (`::ffff:1.2.3.4`) is the last two 16-bit words.
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = ipv4ToBytes(s.slice(lastColon + 1));
    tail = [(a << 8) | b, (c << 8) | d];
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const parse = (part: string) => (part ? part.split(':').map((w) => parseInt(w, 16)) : []);
  const gap = s.indexOf('::');
  if (gap === -1) return [...parse(s), ...tail];
  const left = parse(s.slice(0, gap));
  const right = parse(s.slice(gap + 2));
  const fill = 8 - left.length - right.length - tail.length;
  return [...left, ...new Array<number>(fill).fill(0), ...right, ...tail];
}

/** Formats like glibc's inet_ntop (what iptables-save prints): longest run of >= 2 zero words as `::`. */
export function formatIpv6(words: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  // ::a.b.c.d and ::ffff:a.b.c.d keep the dotted tail, as inet_ntop does.
  const w = words;
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
    const v4 = `${(w[6] ?? 0) >> 8}.${(w[6] ?? 0) & 255}.${(w[7] ?? 0) >> 8}.${(w[7] ?? 0) & 255}`;
    return bestLen === 6 ? `::${v4}` : `::ffff:${v4}`;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out && !out.endsWith(':')) out += ':';
    out += (w[i] ?? 0).toString(16);
  }
  return out;
}

function maskWords(words: number[], prefix: number, wordBits: number): number[] {
  return words.map((word, i) => {
    const keep = Math.min(Math.max(prefix - i * wordBits, 0), wordBits);
    const mask = keep === 0 ? 0 : ((0xffffffff << (wordBits - keep)) >>> 0) & ((1 << wordBits) - 1);
    return word & mask;
  });
}

/**
 * Parses an IPv4/IPv6 address or CIDR (`198.18.0.1`, `198.18.0.0/15`, `2001:2::/48`); undefined if
 * it is neither. A bare address is a host network (/32, /128).
 */
export function parseCidr(input: string): Cidr | undefined {
  const text = input.trim();
  const slash = text.indexOf('/');
  const addr = slash === -1 ? text : text.slice(0, slash);
  const lenText = slash === -1 ? undefined : text.slice(slash + 1);
  // A zone (`fe80::1%eth0`) cannot be written in a rule.
  if (addr.includes('%')) return undefined;
  const family: IpFamily | undefined = isIPv4(addr) ? 'ipv4' : isIPv6(addr) ? 'ipv6' : undefined;
  if (!family) return undefined;
  const max = family === 'ipv4' ? 32 : 128;
  if (lenText !== undefined && !/^\d{1,3}$/.test(lenText)) return undefined;
  const prefixLength = lenText === undefined ? max : Number(lenText);
  if (prefixLength > max) return undefined;
  let address: string;
  if (family === 'ipv4') {
    address = maskWords(ipv4ToBytes(addr), prefixLength, 8).join('.');
  } else {
    address = formatIpv6(maskWords(ipv6ToWords(addr), prefixLength, 16));
  }
  return { family, address, prefixLength, text: `${address}/${prefixLength}` };
}

/** The addresses of `nameserver` lines in a resolv.conf text, split by family, in order, without duplicates. */
export function nameserversFromResolvConf(text: string): { ipv4: string[]; ipv6: string[] } {
  const out = { ipv4: [] as string[], ipv6: [] as string[] };
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    // A scoped IPv6 server (`fe80::1%eth0`) cannot be matched by a rule; the scope is dropped.
    const parsed = m?.[1] ? parseCidr(m[1].split('%')[0] ?? '') : undefined;
    if (!parsed) continue;
    const list = out[parsed.family];
    if (!list.includes(parsed.address)) list.push(parsed.address);
  }
  return out;
}
