import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeNetns, Lab, type Host, type HostProcess } from '@meshcap/testkit';
import { installTransparentProxy } from '../install.ts';
import { parseTransparentProxyConfig, type TransparentProxyConfigInput } from '../config.ts';
import { readLiveRuleset, type Rule, type Ruleset } from '../ruleset/index.ts';
import { readLocalNetwork, tracePacket, type LocalNetwork, type RuleRef, type TracePacket, type TraceResult } from './index.ts';

/**
 * The differential table: for each (config × packet) the rules are installed in a lab namespace by
 * meshcap's own installer, a real connection is made (as the given uid), and what the kernel did —
 * which listener answered, which rules' counters moved — must equal what tracePacket predicted.
 *
 * Topology: `app` (198.18.0.1, 2001:2::1; the captured workload with the capture listeners) and
 * `peer` (198.18.0.2/.3, 2001:2::2/::3; remote servers), joined by a veth.
 */

const PROBE = new URL('./__agents__/probe.mjs', import.meta.url).pathname;
const TRANSPARENT = new URL('./__agents__/transparent-listen.ts', import.meta.url).pathname;

interface DiffCase {
  name: string;
  direction: 'inbound' | 'outbound';
  proto: 'tcp' | 'udp';
  src: string;
  dst: string;
  port: number;
  /** Sending process uid (and gid) for outbound; inbound connections come from the peer. */
  uid?: number;
  /** The listener the config means this connection to reach: `host:proto/port`, `app:tproxy/15006`. */
  expect: string;
}

const configs: Array<{ name: string; config: TransparentProxyConfigInput; tproxy?: boolean; cases: DiffCase[] }> = [
  {
    name: 'Kuma default (REDIRECT, dualstack)',
    config: {},
    cases: [
      { name: 'app uid 1000 to a remote service is captured', direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.2', port: 80, uid: 1000, expect: 'app:tcp/15001' },
      { name: 'the dataplane (uid 5678) to a remote service is not captured', direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.2', port: 80, uid: 5678, expect: 'peer:tcp/80' },
      { name: 'root to a remote service is captured', direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.2', port: 80, uid: 0, expect: 'app:tcp/15001' },
      { name: 'app to 127.0.0.1 is not captured (loopback of a non-dataplane uid)', direction: 'outbound', proto: 'tcp', src: '127.0.0.1', dst: '127.0.0.1', port: 8080, uid: 1000, expect: 'app:tcp/8080' },
      { name: 'dataplane to 127.0.0.1 is not captured', direction: 'outbound', proto: 'tcp', src: '127.0.0.1', dst: '127.0.0.1', port: 8080, uid: 5678, expect: 'app:tcp/8080' },
      { name: 'dataplane to its own address goes to inbound capture', direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.1', port: 8080, uid: 5678, expect: 'app:tcp/15006' },
      { name: 'app to its own address over lo is not captured', direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.1', port: 8080, uid: 1000, expect: 'app:tcp/8080' },
      { name: 'inbound passthrough from 127.0.0.6 reaches the app', direction: 'outbound', proto: 'tcp', src: '127.0.0.6', dst: '198.18.0.1', port: 8080, uid: 5678, expect: 'app:tcp/8080' },
      { name: 'inbound to the app port is captured', direction: 'inbound', proto: 'tcp', src: '198.18.0.2', dst: '198.18.0.1', port: 8080, expect: 'app:tcp/15006' },
      { name: 'inbound to another port is captured too', direction: 'inbound', proto: 'tcp', src: '198.18.0.2', dst: '198.18.0.1', port: 9000, expect: 'app:tcp/15006' },
      { name: 'IPv6: app to a remote service is captured', direction: 'outbound', proto: 'tcp', src: '2001:2::1', dst: '2001:2::2', port: 80, uid: 1000, expect: 'app:tcp/15001' },
      { name: 'IPv6: the dataplane is not captured', direction: 'outbound', proto: 'tcp', src: '2001:2::1', dst: '2001:2::2', port: 80, uid: 5678, expect: 'peer:tcp/80' },
      { name: 'IPv6: app to ::1 is not captured', direction: 'outbound', proto: 'tcp', src: '::1', dst: '::1', port: 8080, uid: 1000, expect: 'app:tcp/8080' },
      { name: 'IPv6: dataplane to its own address goes to inbound capture', direction: 'outbound', proto: 'tcp', src: '2001:2::1', dst: '2001:2::1', port: 8080, uid: 5678, expect: 'app:tcp/15006' },
      { name: 'IPv6: inbound is captured', direction: 'inbound', proto: 'tcp', src: '2001:2::2', dst: '2001:2::1', port: 8080, expect: 'app:tcp/15006' },
      { name: 'IPv6: inbound passthrough from ::6 reaches the app', direction: 'outbound', proto: 'tcp', src: '::6', dst: '2001:2::1', port: 8080, uid: 5678, expect: 'app:tcp/8080' },
      { name: 'DNS over UDP is not redirected without --redirect-dns', direction: 'outbound', proto: 'udp', src: '198.18.0.1', dst: '198.18.0.2', port: 53, uid: 1000, expect: 'peer:udp/53' },
    ],
  },
  {
    name: 'exclusions and DNS to the resolv.conf servers',
    config: {
      excludeInboundPorts: [9000],
      excludeOutboundPorts: [5432],
      excludeInboundIps: ['198.18.0.3/32'],
      excludeOutboundIps: ['198.18.0.3/32', '2001:2::3/128'],
      excludeOutboundPortsForUids: ['tcp:80:1234'],
      redirectDns: true,
    },
    cases: [
      { name: 'excluded outbound port is not captured', direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.2', port: 5432, uid: 1000, expect: 'peer:tcp/5432' },
      { name: 'other outbound ports still are', direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.2', port: 80, uid: 1000, expect: 'app:tcp/15001' },
      { name: 'excluded outbound IP is not captured', direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.3', port: 80, uid: 1000, expect: 'peer:tcp/80' },
      { name: 'IPv6: excluded outbound IP is not captured', direction: 'outbound', proto: 'tcp', src: '2001:2::1', dst: '2001:2::3', port: 80, uid: 1000, expect: 'peer:tcp/80' },
      { name: 'IPv6: excluded outbound port is not captured', direction: 'outbound', proto: 'tcp', src: '2001:2::1', dst: '2001:2::2', port: 5432, uid: 1000, expect: 'peer:tcp/5432' },
      { name: 'uid 1234 to port 80 is excluded (ports for uids)', direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.2', port: 80, uid: 1234, expect: 'peer:tcp/80' },
      { name: 'uid 1235 to port 80 is captured', direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.2', port: 80, uid: 1235, expect: 'app:tcp/15001' },
      { name: 'uid 1234 to another port is captured', direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.2', port: 9000, uid: 1234, expect: 'app:tcp/15001' },
      { name: 'excluded inbound port reaches the app', direction: 'inbound', proto: 'tcp', src: '198.18.0.2', dst: '198.18.0.1', port: 9000, expect: 'app:tcp/9000' },
      { name: 'IPv6: excluded inbound port reaches the app', direction: 'inbound', proto: 'tcp', src: '2001:2::2', dst: '2001:2::1', port: 9000, expect: 'app:tcp/9000' },
      { name: 'inbound from an excluded IP reaches the app', direction: 'inbound', proto: 'tcp', src: '198.18.0.3', dst: '198.18.0.1', port: 8080, expect: 'app:tcp/8080' },
      { name: 'DNS query to the resolv.conf server goes to the DNS proxy', direction: 'outbound', proto: 'udp', src: '198.18.0.1', dst: '198.18.0.2', port: 53, uid: 1000, expect: 'app:udp/15053' },
      { name: 'DNS query of the dataplane goes to the server', direction: 'outbound', proto: 'udp', src: '198.18.0.1', dst: '198.18.0.2', port: 53, uid: 5678, expect: 'peer:udp/53' },
      { name: 'DNS query to another server is left alone', direction: 'outbound', proto: 'udp', src: '198.18.0.1', dst: '198.18.0.3', port: 53, uid: 1000, expect: 'peer:udp/53' },
      { name: 'IPv6: DNS query to the resolv.conf server goes to the DNS proxy', direction: 'outbound', proto: 'udp', src: '2001:2::1', dst: '2001:2::2', port: 53, uid: 1000, expect: 'app:udp/15053' },
      { name: 'DNS over TCP to the resolv.conf server goes to the DNS proxy', direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.2', port: 53, uid: 1000, expect: 'app:tcp/15053' },
    ],
  },
  {
    name: 'all DNS captured, IPv4 only',
    config: { redirectAllDnsTraffic: true, ipFamilyMode: 'ipv4' },
    cases: [
      { name: 'a DNS query to any server goes to the DNS proxy', direction: 'outbound', proto: 'udp', src: '198.18.0.1', dst: '198.18.0.3', port: 53, uid: 1000, expect: 'app:udp/15053' },
      { name: "the app's DNS over TCP goes to its server (as current Kuma)", direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.2', port: 53, uid: 1000, expect: 'peer:tcp/53' },
    ],
  },
  {
    name: 'inbound capture off, IPv4 only',
    config: { redirectInbound: false, ipFamilyMode: 'ipv4' },
    cases: [
      { name: 'inbound is not captured', direction: 'inbound', proto: 'tcp', src: '198.18.0.2', dst: '198.18.0.1', port: 8080, expect: 'app:tcp/8080' },
      { name: 'outbound is still captured', direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.2', port: 80, uid: 1000, expect: 'app:tcp/15001' },
      { name: 'IPv6 outbound has no rules', direction: 'outbound', proto: 'tcp', src: '2001:2::1', dst: '2001:2::2', port: 80, uid: 1000, expect: 'peer:tcp/80' },
      { name: 'IPv6 inbound has no rules', direction: 'inbound', proto: 'tcp', src: '2001:2::2', dst: '2001:2::1', port: 8080, expect: 'app:tcp/8080' },
    ],
  },
  {
    name: 'nftables backend (one native table per family)',
    config: { backend: 'nftables', excludeOutboundPorts: [5432], redirectDns: true },
    cases: [
      { name: 'nft: app to a remote service is captured', direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.2', port: 80, uid: 1000, expect: 'app:tcp/15001' },
      { name: 'nft: the dataplane is not captured', direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.2', port: 80, uid: 5678, expect: 'peer:tcp/80' },
      { name: 'nft: excluded outbound port is not captured', direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.2', port: 5432, uid: 1000, expect: 'peer:tcp/5432' },
      { name: 'nft: app to 127.0.0.1 is not captured', direction: 'outbound', proto: 'tcp', src: '127.0.0.1', dst: '127.0.0.1', port: 8080, uid: 1000, expect: 'app:tcp/8080' },
      { name: 'nft: dataplane to its own address goes to inbound capture', direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.1', port: 8080, uid: 5678, expect: 'app:tcp/15006' },
      { name: 'nft: inbound passthrough from 127.0.0.6 reaches the app', direction: 'outbound', proto: 'tcp', src: '127.0.0.6', dst: '198.18.0.1', port: 8080, uid: 5678, expect: 'app:tcp/8080' },
      { name: 'nft: inbound is captured', direction: 'inbound', proto: 'tcp', src: '198.18.0.2', dst: '198.18.0.1', port: 8080, expect: 'app:tcp/15006' },
      { name: 'nft: IPv6 outbound is captured', direction: 'outbound', proto: 'tcp', src: '2001:2::1', dst: '2001:2::2', port: 80, uid: 1000, expect: 'app:tcp/15001' },
      { name: 'nft: IPv6 inbound is captured', direction: 'inbound', proto: 'tcp', src: '2001:2::2', dst: '2001:2::1', port: 8080, expect: 'app:tcp/15006' },
      { name: 'nft: DNS query to the resolv.conf server goes to the DNS proxy', direction: 'outbound', proto: 'udp', src: '198.18.0.1', dst: '198.18.0.2', port: 53, uid: 1000, expect: 'app:udp/15053' },
    ],
  },
  {
    name: 'TPROXY inbound',
    config: { inboundMode: 'tproxy' },
    tproxy: true,
    cases: [
      { name: 'inbound goes to the transparent listener', direction: 'inbound', proto: 'tcp', src: '198.18.0.2', dst: '198.18.0.1', port: 8080, expect: 'app:tproxy/15006' },
      { name: 'IPv6: inbound goes to the transparent listener', direction: 'inbound', proto: 'tcp', src: '2001:2::2', dst: '2001:2::1', port: 8080, expect: 'app:tproxy/15006' },
      { name: 'outbound is still REDIRECTed', direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.2', port: 80, uid: 1000, expect: 'app:tcp/15001' },
      { name: 'loopback to its own address is not TPROXYed', direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.1', port: 8080, uid: 1000, expect: 'app:tcp/8080' },
    ],
  },
];

/** Runs one command in a host's namespace with no stdin (the probe needs none), never rejecting on exit status. */
function runIn(host: Host, file: string, args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', host.netns, file, ...args], { timeout: 15_000, encoding: 'utf8' }, (_err, stdout, stderr) => resolve({ stdout, stderr }));
  });
}

const key = (r: Pick<RuleRef, 'backend' | 'family' | 'table' | 'chain' | 'index'>): string => `${r.backend}/${r.family}/${r.table}/${r.chain}/${r.index}`;

function ruleIndex(rs: Ruleset): Map<string, Rule> {
  const map = new Map<string, Rule>();
  for (const t of rs.tables) {
    for (const c of t.chains) {
      for (const r of c.rules) {
        // Two flavours holding the same table would make counters ambiguous; the installer uses one.
        expect(map.has(key(r)), `duplicate rule key ${key(r)}`).toBe(false);
        map.set(key(r), r);
      }
    }
  }
  return map;
}

/** Chains that only the first packet of a connection reaches: the iptables nat table, and nft chains reached from `type nat` base chains. */
function natChains(rs: Ruleset): Set<string> {
  const out = new Set<string>();
  for (const t of rs.tables) {
    const id = (chain: string) => `${t.backend}/${t.family}/${t.name}/${chain}`;
    const todo = t.chains.filter((c) => (t.backend === 'iptables' ? t.name === 'nat' : c.base?.type === 'nat')).map((c) => c.name);
    while (todo.length) {
      const name = todo.pop()!;
      if (out.has(id(name))) continue;
      out.add(id(name));
      for (const r of t.chains.find((c) => c.name === name)?.rules ?? []) for (const a of r.actions) if (a.kind === 'jump' || a.kind === 'goto') todo.push(a.chain);
    }
  }
  return out;
}

/** Rules whose packet counter moved between two reads, with the delta. */
function movedCounters(before: Ruleset, after: Ruleset): Map<string, number> {
  const b = ruleIndex(before);
  const moved = new Map<string, number>();
  for (const [k, r] of ruleIndex(after)) {
    const delta = (r.counters?.packets ?? 0) - (b.get(k)?.counters?.packets ?? 0);
    if (delta > 0) moved.set(k, delta);
  }
  return moved;
}

/** The listener the trace says the connection reaches, in the same naming as the agents. */
function predictedListener(result: TraceResult, c: DiffCase): string {
  const v = result.verdict;
  const owner = (addr: string): string => (['198.18.0.2', '198.18.0.3', '2001:2::2', '2001:2::3'].includes(addr) ? 'peer' : 'app');
  switch (v.kind) {
    case 'captured':
      return v.mechanism === 'TPROXY' ? `app:tproxy/${v.port}` : `app:${c.proto}/${v.port}`;
    case 'accepted':
      return `${owner(v.address)}:${c.proto}/${v.port}`;
    default:
      return `(${v.kind})`;
  }
}

describeNetns('trace differential: tracePacket predicts what the kernel does', () => {
  let lab: Lab;
  let app: Host;
  let peer: Host;
  let appIf: string;
  let local: LocalNetwork;
  let dir: string;
  let inbound15006: HostProcess | undefined;
  /** Every listener, to find which one logged a connection from a given source port. */
  const listeners: HostProcess[] = [];
  let srcPort = 31000;

  const listen = async (host: Host, proto: 'tcp' | 'udp', port: number, address?: string, uid = 0): Promise<HostProcess> => {
    const bind = address ? ['--host', address] : [];
    const argv = [process.execPath, PROBE, 'listen', '--proto', proto, '--port', String(port), '--name', `${host.label}:${proto}/${port}`, ...bind];
    const p = host.spawn('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', ...argv]);
    await p.waitForLine(/"listening"/);
    listeners.push(p);
    return p;
  };

  /** The connection event (from any listener) whose client used source port `port`. */
  const connectionFrom = async (port: number): Promise<{ localAddress: string; localPort: number }> => {
    const find = () =>
      listeners
        .flatMap((l) => l.jsonLines<{ event: string; remotePort: number; localAddress: string; localPort: number }>())
        .find((e) => e.event === 'connection' && e.remotePort === port);
    // The listener logs as it accepts; the client has its answer by then, so this is short.
    for (let i = 0; i < 50 && !find(); i++) await new Promise((r) => setTimeout(r, 20));
    const event = find();
    if (!event) throw new Error(`no listener logged a connection from source port ${port}`);
    return event;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshcap-trace-'));
    writeFileSync(join(dir, 'resolv.conf'), 'nameserver 198.18.0.2\nnameserver 2001:2::2\n');
    lab = Lab.create('tracediff');
    app = await lab.host('app');
    peer = await lab.host('peer');
    const link = await lab.link(app, peer, { a: ['198.18.0.1/24', '2001:2::1/64'], b: ['198.18.0.2/24', '198.18.0.3/24', '2001:2::2/64', '2001:2::3/64'] });
    appIf = link.aIf;
    await Promise.all([
      ...[15001, 15053, 8080, 9000].map((p) => listen(app, 'tcp', p)),
      // The DNS proxy binds loopback and runs as the dataplane uid, as kuma-dp's does: its answers must
      // match the raw-table rule that puts them in conntrack zone 2 with the redirected queries.
      ...['127.0.0.1', '::1'].map((a) => listen(app, 'udp', 15053, a, 5678)),
      ...[53, 80, 5432, 9000].map((p) => listen(peer, 'tcp', p)),
      ...['198.18.0.2', '198.18.0.3', '2001:2::2', '2001:2::3'].map((a) => listen(peer, 'udp', 53, a)),
    ]);
    inbound15006 = await listen(app, 'tcp', 15006);
    local = await readLocalNetwork({ netns: app.netns });
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const group of configs) {
    describe(group.name, () => {
      beforeAll(async () => {
        const config = parseTransparentProxyConfig({ ...group.config, resolvConfPath: join(dir, 'resolv.conf') });
        await installTransparentProxy(config, { netns: app.netns });
        if (group.tproxy && inbound15006) {
          await inbound15006.stop();
          inbound15006 = app.spawnNode(TRANSPARENT, ['--port', '15006', '--name', 'app:tproxy/15006']);
          await inbound15006.waitForLine(/"listening"/, 20_000);
          listeners.push(inbound15006);
        }
      }, 60_000);

      for (const c of group.cases) {
        it(c.name, async () => {
          const port = srcPort++;
          const family = c.src.includes(':') ? 'ip6' : 'ip';
          const packet: TracePacket = {
            direction: c.direction,
            proto: c.proto,
            src: c.src,
            srcPort: port,
            dst: c.dst,
            dstPort: c.port,
            ...(c.uid !== undefined ? { uid: c.uid, gid: c.uid } : {}),
            ...(c.direction === 'inbound' ? { inIface: appIf } : {}),
          };
          const before = await readLiveRuleset({ netns: app.netns, families: [family] });
          const result = tracePacket(before, packet, { local });

          // The real connection: outbound from the app as the uid, inbound from the peer.
          const args = [PROBE, 'connect', '--proto', c.proto, '--host', c.dst, '--port', String(c.port), '--local-address', c.src, '--local-port', String(port), '--timeout', '5000'];
          const run =
            c.direction === 'outbound'
              ? await runIn(app, 'setpriv', [`--reuid=${c.uid ?? 0}`, `--regid=${c.uid ?? 0}`, '--clear-groups', process.execPath, ...args])
              : await runIn(peer, process.execPath, args);
          const reply = JSON.parse(run.stdout.trim().split('\n').pop() || '{}') as { event?: string; data?: string; code?: string; localAddress?: string };
          const observed = reply.event === 'reply' ? (reply.data ?? '') : `error:${reply.code ?? run.stderr.trim()}`;
          const after = await readLiveRuleset({ netns: app.netns, families: [family] });
          const moved = movedCounters(before, after);

          const explain = `trace:\n${JSON.stringify({ verdict: result.verdict, decidedBy: result.decidedBy, matched: result.outcomes[0]?.matchedRules.map(key) }, null, 1)}\nmoved: ${JSON.stringify([...moved])}`;
          // What the config means to happen does happen, and the trace predicted exactly that.
          expect(observed, explain).toBe(c.expect);
          expect(predictedListener(result, c), explain).toBe(observed);
          expect(result.certain, explain).toBe(true);
          expect(reply.localAddress?.replace(/^::ffff:/, ''), 'the source address the trace assumed').toBe(c.src);

          // The listener saw the destination the trace says the packet ends with (after REDIRECT: the
          // address the kernel picked; under TPROXY: the original destination, there is no NAT).
          const seen = await connectionFrom(port);
          const v = result.verdict;
          const expectedLocal =
            v.kind === 'captured' && v.mechanism === 'REDIRECT' ? { address: v.address, port: v.port } : v.kind === 'accepted' ? { address: v.address, port: v.port } : { address: c.dst, port: c.port };
          expect({ address: seen.localAddress.replace(/^::ffff:/, ''), port: seen.localPort }, explain).toEqual(expectedLocal);

          // nat sees exactly the first packet: its moved counters are exactly the nat rules the trace matched, once each.
          const matched = result.outcomes[0]!.matchedRules;
          // The rules traced are the installed backend's: iptables-save text, or nft JSON.
          expect(new Set(matched.map((r) => r.backend)), explain).toEqual(new Set(matched.length ? [group.config.backend ?? 'iptables'] : []));
          const nat = natChains(before);
          const isNat = (k: string): boolean => nat.has(k.split('/').slice(0, 4).join('/'));
          const natMatched = matched.map(key).filter(isNat).sort();
          const natMoved = [...moved].filter(([k]) => isNat(k));
          expect(natMoved.map(([k]) => k).sort(), explain).toEqual(natMatched);
          for (const [k, delta] of natMoved) expect(delta, k).toBe(1);
          // Every rule the trace says the first packet matched counted it (raw/mangle also count later packets).
          const counted = ruleIndex(before);
          for (const r of matched) if (counted.get(key(r))?.counters) expect(moved.has(key(r)), `${key(r)} ${r.text}\n${explain}`).toBe(true);
          if (result.decidedBy?.kind === 'rule') expect(moved.has(key(result.decidedBy.rule)), explain).toBe(true);
        });
      }
    });
  }

  it('covers at least 30 (config × packet) cases', () => {
    expect(configs.reduce((n, g) => n + g.cases.length, 0)).toBeGreaterThanOrEqual(30);
  });
});
