import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import {
  formatTraceText,
  isMeshcapError,
  MeshcapError,
  mergeRulesets,
  parseIptablesSave,
  parseNftJson,
  readLiveRuleset,
  readLocalNetwork,
  routeGet,
  tracePacket,
  uidFromPasswd,
  type LocalNetwork,
  type Ruleset,
  type TracePacket,
} from '@meshcap/core';
import { CliUsageError, type CliCommand, type CliIO, parseFlags } from '@meshcap/dataplane';

const HELP = `meshcap trace: follow a connection's first packet through the rules, in kernel order

Usage: meshcap trace --direction inbound|outbound [--src IP] --dst IP:PORT [flags]

  --direction inbound|outbound   inbound: arrives for this host; outbound: sent by a local process
  --src IP                       source address. outbound: defaults to the one the kernel picks
                                 (\`ip route get <dst>\` → src, in --netns when given); with --rules
                                 it is required. inbound: the remote client's address, required
  --dst IP:PORT                  destination; IPv6 as [addr]:port
  --proto tcp|udp                transport (default tcp)
  --src-port N                   source port (rules matching --sport are unknown without it)
  --uid UID|NAME                 owner of the sending socket (outbound)
  --gid GID                      its group (outbound)
  --mark N                       packet mark at the start (SO_MARK), decimal or 0x hex (default 0)
  --in-iface NAME                interface the packet arrives on (inbound)
  --out-iface NAME               interface it leaves by (outbound; live: from \`ip route get\`)
  --rules FILE                   a saved \`iptables-save -c\` / \`ip6tables-save -c\` text (several may be
                                 concatenated; meshcap's --dry-run text works too) or \`nft -j list ruleset\`
                                 JSON; repeatable. Default: the live rules of this network namespace
  --netns NAME                   read the live rules and addresses of that named namespace instead
  --local-address IFACE=ADDR/LEN an address of the traced host, for --rules (repeatable); live: \`ip -j addr\`
  -o, --output text|json         output format (default text)

A match the tracer cannot evaluate (-m socket, an owner match without --uid, …) is reported as
unknown; when its answer would change the outcome the verdict says UNCERTAIN and lists each one.

Examples:
  meshcap trace --direction outbound --dst 198.18.0.2:80 --uid 1000
  meshcap trace --direction outbound --src 198.18.0.1 --dst 198.18.0.2:80 --uid 1000 --rules saved.txt
  meshcap trace --direction inbound --src 2001:2::2 --dst [2001:2::1]:8080 --in-iface eth0 -o json
  meshcap trace --direction outbound --src 198.18.0.1 --dst 198.18.0.2:53 --proto udp --uid 5678 --rules saved.txt`;

const options = {
  direction: { type: 'string' },
  src: { type: 'string' },
  dst: { type: 'string' },
  proto: { type: 'string' },
  'src-port': { type: 'string' },
  uid: { type: 'string' },
  gid: { type: 'string' },
  mark: { type: 'string' },
  'in-iface': { type: 'string' },
  'out-iface': { type: 'string' },
  rules: { type: 'string', multiple: true },
  netns: { type: 'string' },
  'local-address': { type: 'string', multiple: true },
  output: { type: 'string', short: 'o' },
} as const;

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new CliUsageError(`${flag} is required (see meshcap trace --help)`);
  return value;
}

function port(value: string, flag: string): number {
  const n = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new CliUsageError(`${flag}: "${value}" is not a port (1-65535)`);
  return n;
}

function id(value: string, flag: string): number {
  const n = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0 && n <= 0xfffffffe)) throw new CliUsageError(`${flag}: "${value}" is not a numeric id (0-4294967294)`);
  return n;
}

/** `198.18.0.2:80` or `[2001:2::2]:80`. */
export function parseHostPort(value: string, flag: string): { address: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(value) ?? /^([^:[\]]+):(\d+)$/.exec(value);
  if (!m) throw new CliUsageError(`${flag}: "${value}" is not IP:PORT (IPv6 as [addr]:port)`);
  const [, address = '', portText = ''] = m;
  const family = isIP(address);
  if (family === 0 || (family === 6) !== value.startsWith('[')) throw new CliUsageError(`${flag}: "${value}" is not IP:PORT (IPv6 as [addr]:port)`);
  return { address, port: port(portText, flag) };
}

function resolveUid(value: string): number {
  if (/^\d+$/.test(value)) return id(value, '--uid');
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    // no passwd file: only numeric ids work
  }
  const uid = uidFromPasswd(value, passwd);
  if (uid === undefined) throw new CliUsageError(`--uid: "${value}" is neither a number nor a user in /etc/passwd`);
  return uid;
}

function parseLocalAddresses(values: readonly string[]): LocalNetwork {
  const interfaces: LocalNetwork['interfaces'] = [];
  for (const value of values) {
    const m = /^([^=\s/]{1,15})=([^/]+)\/(\d{1,3})$/.exec(value);
    const family = m ? isIP(m[2]!) : 0;
    if (!m || family === 0 || Number(m[3]) > (family === 4 ? 32 : 128)) throw new CliUsageError(`--local-address: "${value}" is not IFACE=ADDR/LEN (e.g. eth0=198.18.0.1/24)`);
    let entry = interfaces.find((i) => i.name === m[1]);
    if (!entry) interfaces.push((entry = { name: m[1]!, addresses: [] }));
    entry.addresses.push({ family: family === 4 ? 'ipv4' : 'ipv6', address: m[2]!, prefixLength: Number(m[3]) });
  }
  return { interfaces };
}

function readRulesFile(path: string): Ruleset {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliUsageError(`--rules: cannot read "${path}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return text.trimStart().startsWith('{') ? parseNftJson(text, { origin: path }) : parseIptablesSave(text, { origin: path });
}

export const traceCommand: CliCommand = {
  path: ['trace'],
  summary: 'show every rule a connection meets and whether it is captured',
  help: HELP,
  async run(args: string[], io: CliIO): Promise<number> {
    const flags = parseFlags(args, options, 'trace') as {
      [K in keyof typeof options]?: (typeof options)[K] extends { multiple: true } ? string[] : string;
    };
    const direction = required(flags.direction, '--direction');
    if (direction !== 'inbound' && direction !== 'outbound') throw new CliUsageError(`--direction: "${direction}" is not inbound or outbound`);
    const dst = parseHostPort(required(flags.dst, '--dst'), '--dst');
    // Inbound: --src is the remote client, which nothing on this host can guess. Outbound from
    // live rules: the kernel's choice for this destination. Outbound from a saved file: the file
    // is another host's, so this host's routes say nothing about it.
    if (flags.src === undefined && (direction === 'inbound' || flags.rules)) {
      throw new CliUsageError(`--src is required ${direction === 'inbound' ? 'for an inbound trace (the remote client\'s address)' : 'with --rules (the saved rules are not this host\'s routes)'} (see meshcap trace --help)`);
    }
    if (flags.src !== undefined && isIP(flags.src) === 0) throw new CliUsageError(`--src: "${flags.src}" is not an IPv4 or IPv6 address`);
    if (flags.src !== undefined && isIP(flags.src) !== isIP(dst.address)) throw new CliUsageError(`--dst: "${flags.dst}" is not of the same IP family as --src ${flags.src}`);
    const proto = flags.proto ?? 'tcp';
    if (proto !== 'tcp' && proto !== 'udp') throw new CliUsageError(`--proto: "${proto}" is not tcp or udp`);
    const output = flags.output ?? 'text';
    if (output !== 'text' && output !== 'json') throw new CliUsageError(`--output: "${output}" is not text or json`);
    let mark: number | undefined;
    if (flags.mark !== undefined) {
      mark = /^(0x[0-9a-f]{1,8}|\d{1,10})$/i.test(flags.mark) ? Number(flags.mark) : NaN;
      if (!(mark >= 0 && mark <= 0xffffffff)) throw new CliUsageError(`--mark: "${flags.mark}" is not a 32-bit mark (decimal or 0x hex)`);
    }
    for (const f of ['in-iface', 'out-iface'] as const) {
      const v = flags[f];
      if (v !== undefined && !/^[^\s/]{1,15}$/.test(v)) throw new CliUsageError(`--${f}: "${v}" is not an interface name`);
    }
    if (flags.rules && flags.netns) throw new CliUsageError('--rules and --netns exclude each other: a saved file or a live namespace');
    if (flags['local-address'] && !flags.rules) throw new CliUsageError('--local-address goes with --rules (live tracing reads the addresses itself)');

    const packet: TracePacket = {
      direction,
      proto,
      src: flags.src ?? '',
      dst: dst.address,
      dstPort: dst.port,
      ...(flags['src-port'] !== undefined ? { srcPort: port(flags['src-port'], '--src-port') } : {}),
      ...(flags.uid !== undefined ? { uid: resolveUid(flags.uid) } : {}),
      ...(flags.gid !== undefined ? { gid: id(flags.gid, '--gid') } : {}),
      ...(mark !== undefined ? { mark } : {}),
      ...(flags['in-iface'] ? { inIface: flags['in-iface'] } : {}),
      ...(flags['out-iface'] ? { outIface: flags['out-iface'] } : {}),
    };

    let ruleset: Ruleset;
    let local: LocalNetwork | undefined;
    const notes: string[] = [];
    if (flags.rules) {
      ruleset = mergeRulesets(...flags.rules.map(readRulesFile));
      if (flags['local-address']) local = parseLocalAddresses(flags['local-address']);
    } else {
      const at = flags.netns ? { netns: flags.netns } : {};
      try {
        ruleset = await readLiveRuleset(at);
        local = await readLocalNetwork(at);
        if (direction === 'outbound' && (!packet.outIface || flags.src === undefined)) {
          const route = await routeGet(dst.address, { ...(mark !== undefined ? { mark } : {}), ...(packet.uid !== undefined ? { uid: packet.uid } : {}) }, at);
          if (flags.src === undefined) {
            if (!route?.src) {
              throw new MeshcapError('MESHCAP_ERR_NO_ROUTE', `no route to ${dst.address}${flags.netns ? ` in namespace ${flags.netns}` : ''} (\`ip route get ${dst.address}\` gives no source address): pass --src`);
            }
            packet.src = route.src;
            notes.push(`--src ${route.src}: from \`ip route get ${dst.address}\``);
          }
          if (!packet.outIface && route?.dev) {
            packet.outIface = route.dev;
            notes.push(`--out-iface ${route.dev}: from \`ip route get ${dst.address}\``);
          }
        }
      } catch (err) {
        if (isMeshcapError(err) && err.code === 'MESHCAP_ERR_PERMISSION') throw new CliUsageError(`reading the live rules needs root (CAP_NET_ADMIN): ${err.message}; or trace a saved file with --rules`);
        throw err;
      }
    }

    const result = tracePacket(ruleset, packet, local ? { local } : {});
    if (output === 'json') {
      io.stdout(JSON.stringify({ ...result, notes, sources: ruleset.sources, warnings: ruleset.warnings }, null, 2));
    } else {
      const extra = [...notes.map((n) => `note: ${n}`), ...ruleset.warnings.map((w) => `warning: ${w}`)];
      io.stdout([formatTraceText(result), ...(extra.length ? ['', ...extra] : [])].join('\n'));
    }
    return 0;
  },
};
