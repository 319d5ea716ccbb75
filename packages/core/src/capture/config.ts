import { z } from 'zod';
import { MeshcapError } from '../errors.ts';
import { parseCidr } from './ip-address.ts';
import type { PortRange, TransportProtocol } from './rules.ts';

/**
 * Options of `meshcap install transparent-proxy`. Names and defaults follow
 * `kumactl install transparent-proxy` where Kuma has the option; the rest are meshcap's
 * (inbound TPROXY mode, the nftables backend, a mark identifying the dataplane's own traffic).
 * `key` is the config-file field, `flag` the CLI flag, and the env var is
 * MESHCAP_TRANSPARENT_PROXY_<FLAG IN UPPER SNAKE CASE>.
 */
export const transparentProxyOptions = [
  { key: 'redirectInboundPort', flag: 'redirect-inbound-port', kind: 'integer', help: 'port the inbound capture redirects to (the dataplane inbound listener)' },
  { key: 'redirectOutboundPort', flag: 'redirect-outbound-port', kind: 'integer', help: 'port the outbound capture redirects to' },
  { key: 'redirectInbound', flag: 'redirect-inbound', kind: 'boolean', help: 'capture inbound traffic (disable for gateway dataplanes)' },
  { key: 'excludeInboundPorts', flag: 'exclude-inbound-ports', kind: 'list', help: 'comma-separated inbound ports left uncaptured' },
  { key: 'excludeOutboundPorts', flag: 'exclude-outbound-ports', kind: 'list', help: 'comma-separated outbound ports left uncaptured' },
  { key: 'excludeInboundIps', flag: 'exclude-inbound-ips', kind: 'list', help: 'comma-separated source addresses or CIDRs (IPv4/IPv6) whose inbound traffic is not captured' },
  { key: 'excludeOutboundIps', flag: 'exclude-outbound-ips', kind: 'list', help: 'comma-separated destination addresses or CIDRs (IPv4/IPv6) not captured outbound' },
  { key: 'excludeOutboundPortsForUids', flag: 'exclude-outbound-ports-for-uids', kind: 'entries', help: 'outbound traffic of these users left uncaptured: [tcp|udp|*:][ports:]uids, ranges with "-" (repeat the flag, or ";" between entries)' },
  { key: 'excludeOutboundMark', flag: 'exclude-outbound-mark', kind: 'integer', help: 'packet mark (SO_MARK) that identifies the dataplane\'s own traffic, treated like --kuma-dp-user (default: none)' },
  { key: 'kumaDpUser', flag: 'kuma-dp-user', kind: 'string', help: 'user (name or UID) the dataplane runs as; its traffic is not captured' },
  { key: 'redirectDns', flag: 'redirect-dns', kind: 'boolean', help: 'redirect DNS (UDP/TCP 53) to the servers of the resolv.conf to --redirect-dns-port' },
  { key: 'redirectAllDnsTraffic', flag: 'redirect-all-dns-traffic', kind: 'boolean', help: 'redirect all DNS traffic, whatever the server' },
  { key: 'redirectDnsPort', flag: 'redirect-dns-port', kind: 'integer', help: 'port of the dataplane DNS proxy' },
  { key: 'skipDnsConntrackZoneSplit', flag: 'skip-dns-conntrack-zone-split', kind: 'boolean', help: 'do not split DNS traffic into two conntrack zones (raw table)' },
  { key: 'resolvConfPath', flag: 'resolv-conf-path', kind: 'string', help: 'resolv.conf whose nameservers --redirect-dns captures' },
  { key: 'ipFamilyMode', flag: 'ip-family-mode', kind: 'string', help: 'dualstack (iptables and ip6tables) or ipv4' },
  { key: 'inboundMode', flag: 'inbound-mode', kind: 'string', help: 'redirect (nat REDIRECT) or tproxy (mangle TPROXY: the app sees the client address)' },
  { key: 'tproxyMark', flag: 'tproxy-mark', kind: 'integer', help: 'TPROXY mode: mark of diverted packets (the proxy also sets it on its connections to the app)' },
  { key: 'tproxyRouteTable', flag: 'tproxy-route-table', kind: 'integer', help: 'TPROXY mode: routing table with the local route for marked packets' },
  { key: 'backend', flag: 'backend', kind: 'string', help: 'iptables or nftables' },
  { key: 'iptablesMode', flag: 'iptables-mode', kind: 'string', help: 'auto (the flavour that already holds rules, else nft), nft or legacy' },
  { key: 'wait', flag: 'wait', kind: 'integer', help: 'seconds iptables-restore (legacy flavour) waits for the xtables lock before failing and being retried; 0: as long as it takes' },
  { key: 'waitInterval', flag: 'wait-interval', kind: 'integer', help: 'microseconds between xtables lock attempts (legacy flavour)' },
  { key: 'maxRetries', flag: 'max-retries', kind: 'integer', help: 'retries of a failed apply' },
  { key: 'sleepBetweenRetries', flag: 'sleep-between-retries', kind: 'duration', help: 'pause between retries (e.g. 2s, 500ms)' },
  { key: 'iptablesLogs', flag: 'iptables-logs', kind: 'boolean', help: 'log captured packets to the kernel log (LOG rules)' },
  { key: 'vnet', flag: 'vnet', kind: 'list', help: 'virtual network whose TCP (and DNS) is captured like outbound: IFACE:CIDR, e.g. docker0:172.17.0.0/16, br+:172.18.0.0/16 for a name prefix (repeat the flag)' },
] as const;

export type TransparentProxyOption = (typeof transparentProxyOptions)[number];
export type TransparentProxyOptionKey = TransparentProxyOption['key'];

const port = z.number({ error: 'must be a port number' }).int('must be a whole number').min(1, 'must be a port (1-65535)').max(65535, 'must be a port (1-65535)');

const cidr = z.string({ error: 'is not an IPv4/IPv6 address or CIDR' }).refine((s) => parseCidr(s) !== undefined, { error: 'is not an IPv4/IPv6 address or CIDR' }).transform((s) => parseCidr(s)!.text);

const mark = z.number({ error: 'must be a mark (1-0xffffffff)' }).int().min(1, 'must be a mark (1-0xffffffff)').max(0xffffffff, 'must be a mark (1-0xffffffff)');

/** One `--exclude-outbound-ports-for-uids` entry, parsed. */
export interface UidExclusion {
  protocols: TransportProtocol[];
  /** Empty: every port. */
  ports: PortRange[];
  uids: PortRange;
}

function parseRange(text: string, max: number): PortRange | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from > to || to > max) return undefined;
  return { from, to };
}

/** Parses Kuma's `[protocol:][ports:]uids` (`tcp:22,1000-2000:1000-1010`, `udp:53:1001`, `80:1002`, `1003`). */
export function parseUidExclusion(text: string): UidExclusion | string {
  const parts = text.trim().split(':');
  if (!text.trim() || parts.length > 3) {
    return 'must be [tcp|udp|*:][ports:]uids';
  }
  const [protoText, portsText, uidsText] =
    parts.length === 3 ? parts : parts.length === 2 ? ['*', parts[0], parts[1]] : ['*', '*', parts[0]];
  const protocols: TransportProtocol[] = [];
  for (const p of (protoText ?? '*').split(',').map((s) => s.trim().toLowerCase())) {
    if (p === '*' || p === '') protocols.push('tcp', 'udp');
    else if (p === 'tcp' || p === 'udp') protocols.push(p);
    else return `has an unknown protocol "${p}" (tcp, udp or *)`;
  }
  const ports: PortRange[] = [];
  const portsTrimmed = (portsText ?? '').trim();
  if (portsTrimmed !== '*' && portsTrimmed !== '') {
    for (const item of portsTrimmed.split(',')) {
      const r = parseRange(item, 65535);
      if (!r || r.from < 1) return `has an invalid port or range "${item}" (1-65535, a-b)`;
      ports.push(r);
    }
  }
  // iptables multiport takes at most 15 ports, a range counting as two.
  if (ports.reduce((n, r) => n + (r.from === r.to ? 1 : 2), 0) > 15) return 'lists more than 15 ports (a range counts as 2)';
  if ((uidsText ?? '').trim() === '*') return 'cannot use "*" for the UIDs';
  const uids = parseRange(uidsText ?? '', 0xfffffffe);
  if (!uids) return `has an invalid UID or UID range "${uidsText ?? ''}"`;
  return { protocols: [...new Set(protocols)], ports, uids };
}

const uidExclusion = z.string({ error: 'must be [tcp|udp|*:][ports:]uids' }).superRefine((s, ctx) => {
  const parsed = parseUidExclusion(s);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});

/** Kuma's `--vnet IFACE:CIDR` (split at the first colon, so IPv6 CIDRs work); `+` at the end of the name matches a prefix. */
export interface VirtualNetwork {
  iface: string;
  cidr: string;
}

export function parseVirtualNetwork(text: string): VirtualNetwork | string {
  const colon = text.indexOf(':');
  if (colon < 1) return 'must be IFACE:CIDR (e.g. docker0:172.17.0.0/16)';
  const iface = text.slice(0, colon);
  if (!/^[A-Za-z0-9_.@-]{1,15}\+?$/.test(iface)) return `has an invalid interface name "${iface}"`;
  const cidr = parseCidr(text.slice(colon + 1));
  if (!cidr) return `has an invalid CIDR "${text.slice(colon + 1)}"`;
  return { iface, cidr: cidr.text };
}

const virtualNetwork = z
  .string({ error: 'must be IFACE:CIDR (e.g. docker0:172.17.0.0/16)' })
  .superRefine((s, ctx) => {
    const parsed = parseVirtualNetwork(s);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
  })
  .transform((s) => {
    const v = parseVirtualNetwork(s) as VirtualNetwork;
    return `${v.iface}:${v.cidr}`;
  });

const userName = z.string().regex(/^(\d+|[a-z_][a-z0-9_.-]*\$?)$/i, 'must be a UID or a user name');

export const transparentProxyConfigSchema = z
  .strictObject({
    redirectInboundPort: port.default(15006),
    redirectOutboundPort: port.default(15001),
    redirectInbound: z.boolean().default(true),
    excludeInboundPorts: z.array(port).default([]),
    excludeOutboundPorts: z.array(port).default([]),
    excludeInboundIps: z.array(cidr).default([]),
    excludeOutboundIps: z.array(cidr).default([]),
    excludeOutboundPortsForUids: z.array(uidExclusion).default([]),
    excludeOutboundMark: mark.optional(),
    kumaDpUser: userName.default('5678'),
    redirectDns: z.boolean().default(false),
    redirectAllDnsTraffic: z.boolean().default(false),
    redirectDnsPort: port.default(15053),
    skipDnsConntrackZoneSplit: z.boolean().default(false),
    resolvConfPath: z.string().min(1).default('/etc/resolv.conf'),
    ipFamilyMode: z.enum(['dualstack', 'ipv4'], { error: 'must be dualstack or ipv4' }).default('dualstack'),
    inboundMode: z.enum(['redirect', 'tproxy'], { error: 'must be redirect or tproxy' }).default('redirect'),
    tproxyMark: mark.default(0x539),
    tproxyRouteTable: z
      .number()
      .int()
      .min(1, 'must be a routing table id (1-252 or 256-4294967294)')
      .max(0xfffffffe, 'must be a routing table id (1-252 or 256-4294967294)')
      .refine((t) => t < 253 || t > 255, { error: 'must not be a reserved table (253 default, 254 main, 255 local)' })
      .default(133),
    backend: z.enum(['iptables', 'nftables'], { error: 'must be iptables or nftables' }).default('iptables'),
    iptablesMode: z.enum(['auto', 'nft', 'legacy'], { error: 'must be auto, nft or legacy' }).default('auto'),
    wait: z.number().int().min(0, 'must be 0 or more seconds').default(5),
    waitInterval: z.number().int().min(0, 'must be 0 or more microseconds').default(0),
    maxRetries: z.number().int().min(0, 'must be 0 or more').max(100, 'must be at most 100').default(4),
    sleepBetweenRetries: z.number().min(0, 'must not be negative').max(600, 'must be at most 10m').default(2),
    iptablesLogs: z.boolean().default(false),
    vnet: z.array(virtualNetwork).default([]),
  })
  .superRefine((c, ctx) => {
    if (c.redirectInboundPort === c.redirectOutboundPort) {
      ctx.addIssue({ code: 'custom', path: ['redirectOutboundPort'], message: `must differ from the inbound port ${c.redirectInboundPort}` });
    }
    if ((c.redirectDns || c.redirectAllDnsTraffic) && [c.redirectInboundPort, c.redirectOutboundPort].includes(c.redirectDnsPort)) {
      ctx.addIssue({ code: 'custom', path: ['redirectDnsPort'], message: 'must differ from the inbound and outbound ports' });
    }
    if (c.excludeOutboundMark !== undefined && c.inboundMode === 'tproxy' && c.excludeOutboundMark === c.tproxyMark) {
      ctx.addIssue({ code: 'custom', path: ['excludeOutboundMark'], message: `must differ from the TPROXY mark ${c.tproxyMark}` });
    }
  });

/** Validated options, defaults applied. JSON round-trips through `parseTransparentProxyConfig`. */
export type TransparentProxyConfig = z.output<typeof transparentProxyConfigSchema>;
export type TransparentProxyConfigInput = z.input<typeof transparentProxyConfigSchema>;

/** The config plus what it names on the host: the dataplane UID and the resolv.conf nameservers. */
export interface ResolvedTransparentProxyConfig extends TransparentProxyConfig {
  kumaDpUid: number;
  dnsServers: { ipv4: string[]; ipv6: string[] };
}

/** Where a value came from, for error messages that name what the user typed. */
export type OptionOrigin = 'flag' | 'env' | 'file' | 'value' | { file: string; field: string };

export function envVarName(option: TransparentProxyOption): string {
  return `MESHCAP_TRANSPARENT_PROXY_${option.flag.toUpperCase().replace(/-/g, '_')}`;
}

function optionByKey(key: PropertyKey | undefined): TransparentProxyOption | undefined {
  return transparentProxyOptions.find((o) => o.key === key);
}

function originName(option: TransparentProxyOption | undefined, origin: OptionOrigin, key: string, source?: string): string {
  if (typeof origin === 'object') return `${origin.file}: ${origin.field}`;
  if (!option) return key;
  if (origin === 'flag') return `--${option.flag}`;
  if (origin === 'env') return envVarName(option);
  if (origin === 'file') return `${source ? `${source}: ` : ''}${option.key}`;
  return option.key;
}

/**
 * Validates a config object (already typed: numbers, booleans, arrays). `origins` says where each
 * key came from so errors name the flag, env var or file field, with the bad value.
 */
export function parseTransparentProxyConfig(
  input: unknown,
  origins: Partial<Record<string, OptionOrigin>> = {},
  source?: string,
): TransparentProxyConfig {
  const result = transparentProxyConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const issues = result.error.issues.map((issue) => {
    const [key, index] = issue.path;
    const option = optionByKey(key);
    const origin = origins[String(key)] ?? 'value';
    const name = originName(option, origin, String(key ?? ''), source);
    let value = key === undefined ? undefined : raw[String(key)];
    if (typeof index === 'number' && Array.isArray(value)) value = value[index];
    if (issue.code === 'unrecognized_keys') {
      return { path: issue.path.join('.'), message: `${source ? `${source}: ` : ''}unknown option(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}` };
    }
    const shown = value === undefined ? '' : ` ${JSON.stringify(value)}`;
    return { path: String(key ?? ''), message: `${name}:${shown} ${issue.message}` };
  });
  throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', issues.map((i) => i.message).join('; '), issues.map((i) => ({ ...i, ...(source ? { source } : {}) })));
}

/** The Kuma default: every option at its default value. */
export function defaultTransparentProxyConfig(): TransparentProxyConfig {
  return parseTransparentProxyConfig({});
}
