import { isIPv4, isIPv6 } from 'node:net';
import { parseCidr, type Cidr } from '../ip-address.ts';

/**
 * Address arithmetic for evaluating rules: an address as an integer, so "is 198.18.0.7 inside
 * 198.18.0.0/15" is a mask and a compare. Parsing and printing of CIDRs is ip-address.ts's.
 */
export interface IpValue {
  family: Cidr['family'];
  value: bigint;
}

/** Parses a plain IPv4 or IPv6 address (no prefix, brackets or zone); undefined when it is not one. */
export function parseIpValue(text: string): IpValue | undefined {
  if (isIPv4(text)) {
    let value = 0n;
    for (const part of text.split('.')) value = (value << 8n) | BigInt(Number(part));
    return { family: 'ipv4', value };
  }
  if (!isIPv6(text)) return undefined;
  // Go through the canonical form so `::ffff:1.2.3.4` and friends come out as eight hex groups.
  const canonical = parseCidr(text)?.address ?? text;
  let head = canonical;
  let tail = 0n;
  let tailGroups = 0;
  const lastColon = canonical.lastIndexOf(':');
  const dotted = canonical.slice(lastColon + 1);
  if (dotted.includes('.')) {
    tail = parseIpValue(dotted)?.value ?? 0n;
    tailGroups = 2;
    head = canonical.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const parse = (s: string): bigint[] => (s ? s.split(':').map((g) => BigInt(parseInt(g, 16))) : []);
  const gap = head.indexOf('::');
  const groups =
    gap < 0
      ? parse(head)
      : (() => {
          const left = parse(head.slice(0, gap));
          const right = parse(head.slice(gap + 2));
          return [...left, ...Array<bigint>(8 - tailGroups - left.length - right.length).fill(0n), ...right];
        })();
  let value = 0n;
  for (const g of groups) value = (value << 16n) | g;
  if (tailGroups) value = (value << 32n) | tail;
  return { family: 'ipv6', value };
}

function bitsOf(family: Cidr['family']): bigint {
  return family === 'ipv4' ? 32n : 128n;
}

/** Whether `ip` lies inside `cidr` (never across families). */
export function cidrContainsIp(cidr: Cidr, ip: IpValue): boolean {
  if (cidr.family !== ip.family) return false;
  const net = parseIpValue(cidr.address);
  if (!net) return false;
  const bits = bitsOf(ip.family);
  const all = (1n << bits) - 1n;
  const mask = (all << (bits - BigInt(cidr.prefixLength))) & all;
  return (ip.value & mask) === (net.value & mask);
}

/** 127.0.0.0/8 and ::1: local for as long as `lo` is up. */
export function isLoopbackIp(ip: IpValue): boolean {
  return ip.family === 'ipv4' ? ip.value >> 24n === 127n : ip.value === 1n;
}

export function isMulticastIp(ip: IpValue): boolean {
  return ip.family === 'ipv4' ? ip.value >> 28n === 0xen : ip.value >> 120n === 0xffn;
}

/** 255.255.255.255 and the directed broadcast of a local IPv4 network. */
export function isBroadcastIp(ip: IpValue, localNetworks: readonly Cidr[]): boolean {
  if (ip.family !== 'ipv4') return false;
  if (ip.value === 0xffffffffn) return true;
  return localNetworks.some((n) => {
    if (n.family !== 'ipv4' || n.prefixLength >= 31 || !cidrContainsIp(n, ip)) return false;
    const hostBits = (1n << BigInt(32 - n.prefixLength)) - 1n;
    return (ip.value & hostBits) === hostBits;
  });
}
