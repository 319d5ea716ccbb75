import { MeshcapError } from '../../errors.ts';
import { cidrContainsIp, isLoopbackIp, parseIpValue, type IpValue } from '../ruleset/address.ts';
import { parseCidr, type Cidr } from '../ip-address.ts';
import { runTool, type ToolRunOptions } from '../ruleset/live.ts';

/** One address configured on an interface (`ip -j addr`): the host address and its prefix. */
export interface LocalAddress {
  family: Cidr['family'];
  address: string;
  prefixLength: number;
}

/**
 * What the tracer knows about the namespace's own addresses: it decides addrtype LOCAL, whether a
 * destination is delivered locally (INPUT) or sent out, and the address REDIRECT rewrites to in
 * PREROUTING (the first address of the incoming interface).
 */
export interface LocalNetwork {
  interfaces: Array<{ name: string; addresses: LocalAddress[] }>;
}

type IpAddrJson = Array<{ ifname?: unknown; addr_info?: Array<{ family?: unknown; local?: unknown; prefixlen?: unknown }> }>;

/** Reads the interfaces and addresses of the current (or a named) namespace with `ip -j addr`. */
export async function readLocalNetwork(options: ToolRunOptions = {}): Promise<LocalNetwork> {
  const text = await runTool('ip', ['-j', 'addr', 'show'], options);
  if (text === undefined) throw new MeshcapError('MESHCAP_ERR_COMMAND_FAILED', 'the `ip` command (iproute2) is not installed');
  return parseIpAddrJson(text);
}

/** Parses `ip -j addr show` output. */
export function parseIpAddrJson(text: string): LocalNetwork {
  let doc: IpAddrJson;
  try {
    doc = JSON.parse(text) as IpAddrJson;
  } catch (err) {
    throw new MeshcapError('MESHCAP_ERR_COMMAND_FAILED', `ip -j addr: output is not JSON (${(err as Error).message})`);
  }
  const interfaces: LocalNetwork['interfaces'] = [];
  for (const link of Array.isArray(doc) ? doc : []) {
    if (typeof link.ifname !== 'string') continue;
    const addresses: LocalAddress[] = [];
    for (const a of link.addr_info ?? []) {
      if (typeof a.local !== 'string' || typeof a.prefixlen !== 'number') continue;
      const ip = parseIpValue(a.local);
      if (ip) addresses.push({ family: ip.family, address: a.local, prefixLength: a.prefixlen });
    }
    interfaces.push({ name: link.ifname, addresses });
  }
  return { interfaces };
}

/** What `ip route get` answers for a destination: the output interface and the source address the kernel picks. */
export interface RouteAnswer {
  dev?: string;
  /** The preferred source address (`src` in `ip route get`'s text, `prefsrc` in its JSON). */
  src?: string;
}

/**
 * The route the kernel picks for `dst`, as `ip route get` answers for the socket's mark and uid
 * (the policy-routing keys a local sender has). Undefined when there is no route.
 */
export async function routeGet(
  dst: string,
  keys: { mark?: number; uid?: number } = {},
  options: ToolRunOptions = {},
): Promise<RouteAnswer | undefined> {
  const args = ['-j', 'route', 'get', dst];
  if (keys.mark !== undefined) args.push('mark', String(keys.mark));
  if (keys.uid !== undefined) args.push('uid', String(keys.uid));
  let text: string | undefined;
  try {
    text = await runTool('ip', args, options);
  } catch (err) {
    // "Network is unreachable" is an answer (no route), not a failure.
    if (err instanceof MeshcapError && err.code === 'MESHCAP_ERR_COMMAND_FAILED' && /unreachable|no route/i.test(err.message)) return undefined;
    throw err;
  }
  const routes = JSON.parse(text ?? '[]') as Array<{ dev?: unknown; prefsrc?: unknown; type?: unknown }>;
  const route = routes[0];
  if (!route) return undefined;
  // unreachable/prohibit/blackhole routes answer without raising an error on some kernels
  if (typeof route.type === 'string' && ['unreachable', 'prohibit', 'blackhole', 'throw'].includes(route.type)) return undefined;
  return {
    ...(typeof route.dev === 'string' ? { dev: route.dev } : {}),
    ...(typeof route.prefsrc === 'string' ? { src: route.prefsrc } : {}),
  };
}

/**
 * The interface the kernel routes `dst` out of, as `ip route get` answers for the socket's mark and
 * uid (the policy-routing keys a local sender has). Undefined when there is no route.
 */
export async function routeOutputInterface(
  dst: string,
  keys: { mark?: number; uid?: number } = {},
  options: ToolRunOptions = {},
): Promise<string | undefined> {
  return (await routeGet(dst, keys, options))?.dev;
}

/** The networks of the local addresses (for the directed-broadcast address type). */
export function localNetworks(local: LocalNetwork): Cidr[] {
  return local.interfaces.flatMap((i) => i.addresses.flatMap((a) => parseCidr(`${a.address}/${a.prefixLength}`) ?? []));
}

/**
 * Whether `ip` is an address of this host: loopback always is; otherwise the list decides, and
 * without a list the answer is unknown (undefined).
 */
export function isLocalAddress(ip: IpValue, local: LocalNetwork | undefined): boolean | undefined {
  if (isLoopbackIp(ip)) return true;
  if (!local) return undefined;
  return local.interfaces.some((i) => i.addresses.some((a) => {
    const v = parseIpValue(a.address);
    return v !== undefined && v.family === ip.family && v.value === ip.value;
  }));
}

/** The address REDIRECT rewrites to in PREROUTING: the first address of that family on the interface. */
export function firstAddressOf(local: LocalNetwork | undefined, iface: string | undefined, family: Cidr['family']): string | undefined {
  if (!local || !iface) return undefined;
  return local.interfaces.find((i) => i.name === iface)?.addresses.find((a) => a.family === family)?.address;
}

/**
 * The interface whose own network holds `ip` (the kernel's connected route for that address), the
 * longest prefix winning; undefined when no local network holds it.
 */
export function connectedInterface(local: LocalNetwork | undefined, ip: IpValue): { name: string; network: Cidr } | undefined {
  let best: { name: string; network: Cidr } | undefined;
  for (const i of local?.interfaces ?? []) {
    for (const a of i.addresses) {
      const network = parseCidr(`${a.address}/${a.prefixLength}`);
      if (!network || !cidrContainsIp(network, ip)) continue;
      if (!best || network.prefixLength > best.network.prefixLength) best = { name: i.name, network };
    }
  }
  return best;
}
