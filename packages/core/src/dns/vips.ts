import { isIPv4 } from 'node:net';
import { MeshcapError } from '../errors.ts';

/**
 * Virtual IPs of mesh services, as Kuma gives them: one stable address per service from
 * 240.0.0.0/4 (reserved, never routed on the Internet), announced by the DNS proxy as
 * `<service>.mesh` and served by outbound listeners on the VIP at port 80 and at each port the
 * service's endpoints listen on. The control plane allocates them and keeps them in its store.
 */

export const VIP_CIDR = '240.0.0.0/4';
/** Kuma's port for a service reached by its VIP (`http://backend.mesh/`). */
export const VIP_PORT = 80;
const FIRST = 0xf0000001; // 240.0.0.1 (…0.0 is the range's own address)
const LAST = 0xfffffffe; // 255.255.255.254 (…255 is the broadcast address)

function toNumber(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function toIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function isVip(address: string): boolean {
  return isIPv4(address) && toNumber(address) >= 0xf0000000;
}

/** `count` addresses of the range not in `used`, lowest first. Throws MESHCAP_ERR_CONFLICT when the range is full. */
export function freeVips(used: Iterable<string>, count: number): string[] {
  const taken = new Set<number>();
  for (const u of used) if (isVip(u)) taken.add(toNumber(u));
  const out: string[] = [];
  for (let n = FIRST; out.length < count; n++) {
    if (n > LAST) throw new MeshcapError('MESHCAP_ERR_CONFLICT', `no free virtual IP left in ${VIP_CIDR}`);
    if (!taken.has(n)) out.push(toIp(n));
  }
  return out;
}

/** The ports a service's VIP listens on: Kuma's 80, then each port its endpoints listen on. */
export function vipPorts(endpointPorts: readonly number[]): number[] {
  return [...new Set([VIP_PORT, ...endpointPorts])].sort((a, b) => a - b);
}

/** Kuma's name of the outbound listener of a VIP port. */
export function vipListenerName(vip: string, port: number): string {
  return `outbound:${vip}:${port}`;
}

/** What `::ffff:240.0.0.1` is: Kuma answers AAAA with the VIP's IPv4-mapped form, so IPv6 clients reach the same listeners. */
export function mappedVip(vip: string): string {
  return `::ffff:${vip}`;
}

const DNS_NAME = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/**
 * The names a service answers to: `<service>.mesh`, and for Kuma's generated service names
 * (`backend_kuma-demo_svc_8080`) also the dotted form (`backend.kuma-demo.svc.8080.mesh`). Names
 * that are not valid DNS names are left out.
 */
export function meshDnsNames(service: string): string[] {
  const s = service.toLowerCase();
  const names = [`${s}.mesh`];
  if (s.includes('_')) names.push(`${s.replaceAll('_', '.')}.mesh`);
  return names.filter((n) => n.length <= 253 && DNS_NAME.test(n));
}
