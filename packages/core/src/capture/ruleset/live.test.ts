import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNetns, Lab, type Host } from '@meshcap/testkit';
import { proxyUserCommand } from '../../proxy/proxy-user.ts';
import { readLocalNetwork, routeOutputInterface } from '../trace/index.ts';
import { readLiveRuleset } from './index.ts';

const fixture = (name: string): string => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');

describeNetns('readLiveRuleset: both iptables flavours and native nftables tables of a namespace', () => {
  let lab: Lab;
  let host: Host;

  beforeAll(async () => {
    lab = Lab.create('rulesetlive');
    host = await lab.host('app');
    const peer = await lab.host('peer');
    await lab.link(host, peer, { a: ['198.18.0.1/24', '2001:2::1/64'], b: ['198.18.0.2/24'] });
    // IPv4 rules in the nf_tables flavour, IPv6 rules in the legacy one, and a native nft table.
    await host.run('iptables-nft-restore', [], { input: fixture('mixed-v4.rules') });
    await host.run('ip6tables-legacy-restore', [], { input: fixture('kuma-v6.rules') });
    await host.run('nft', ['-f', '-'], { input: fixture('meshcap-table.nft') });
    await host.sh('ping -c1 -W2 198.18.0.2 >/dev/null');
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('as the proxy user (CAP_NET_ADMIN, not root) reads the nft flavour and says the legacy tables are unreadable', async () => {
    const [setpriv, ...args] = proxyUserCommand();
    const agent = fileURLToPath(new URL('../__agents__/read-ruleset.ts', import.meta.url));
    const proc = host.spawn(setpriv, [...args, process.execPath, '--import', 'tsx', agent]);
    const seen = JSON.parse(await proc.waitForLine(/^\{/, 20_000)) as { tables: string[]; warnings: string[]; unreadable: string[] };
    expect(seen.tables).toContain('ip/nat/nft');
    expect(seen.tables.some((t) => t.endsWith('/legacy'))).toBe(false);
    // Said by the source that could not be read, not as a warning: nothing is wrong with the rules.
    expect(seen.unreadable.join('\n')).toMatch(/ip6tables-legacy-save is not readable by this process .*legacy ip6tables tables, if any, are not shown/);
    expect(seen.warnings).toEqual([]);
  });

  it('reads every table once, with its flavour, and counters that moved', async () => {
    const rs = await readLiveRuleset({ netns: host.netns });
    const names = rs.tables.map((t) => `${t.backend}/${t.family}/${t.name}${t.flavour ? `/${t.flavour}` : ''}`).sort();
    expect(names).toEqual([
      'iptables/ip/filter/nft',
      'iptables/ip/mangle/nft',
      'iptables/ip/nat/nft',
      'iptables/ip/raw/nft',
      'iptables/ip6/filter/legacy',
      'iptables/ip6/mangle/legacy',
      'iptables/ip6/nat/legacy',
      // nft's own view of the iptables-nft tables is left out: iptables-save already showed them.
      'nftables/inet/meshcap',
    ]);
    const filter = rs.tables.find((t) => t.family === 'ip' && t.name === 'filter')!;
    const echo = filter.chains.find((c) => c.name === 'OUTPUT')!.rules.find((r) => r.text.includes('--icmp-type 8'))!;
    expect(echo.counters!.packets).toBeGreaterThanOrEqual(1);
    expect(rs.sources.map((s) => s.origin)).toEqual(expect.arrayContaining(['iptables-nft-save', 'ip6tables-legacy-save', 'nft -j list ruleset']));
    const nftRule = rs.tables.find((t) => t.backend === 'nftables')!.chains.find((c) => c.name === 'prerouting')!.rules[0]!;
    expect(nftRule.text).toBe('meta l4proto tcp jump inbound comment "meshcap: inbound"');
  });

  it('reads the addresses and asks the kernel for the route', async () => {
    const local = await readLocalNetwork({ netns: host.netns });
    expect(local.interfaces.find((i) => i.name === 'lo')?.addresses).toContainEqual({ family: 'ipv4', address: '127.0.0.1', prefixLength: 8 });
    expect(local.interfaces.find((i) => i.name === 'eth0')?.addresses).toEqual(
      expect.arrayContaining([
        { family: 'ipv4', address: '198.18.0.1', prefixLength: 24 },
        { family: 'ipv6', address: '2001:2::1', prefixLength: 64 },
      ]),
    );
    expect(await routeOutputInterface('198.18.0.2', { mark: 0, uid: 1000 }, { netns: host.netns })).toBe('eth0');
    expect(await routeOutputInterface('198.18.0.1', {}, { netns: host.netns })).toBe('lo');
    expect(await routeOutputInterface('198.19.0.1', {}, { netns: host.netns })).toBeUndefined();
  });
});
