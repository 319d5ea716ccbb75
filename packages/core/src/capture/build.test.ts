import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  buildRules,
  COMMENT_PREFIX,
  defaultTransparentProxyConfig,
  parseTransparentProxyConfig,
  renderDryRun,
  renderIptablesSave,
  resolveTransparentProxyConfig,
  type CaptureRuleSet,
  type TransparentProxyConfigInput,
} from './index.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));

/** Compares with __golden__/<name>; UPDATE_GOLDEN=1 rewrites the file instead. */
function expectGolden(name: string, text: string): void {
  const path = fileURLToPath(new URL(`./__golden__/${name}`, import.meta.url));
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(fileURLToPath(new URL('./__golden__/', import.meta.url)), { recursive: true });
    writeFileSync(path, text);
    return;
  }
  // A missing golden fails everywhere (not only in CI): writing it here would make the test pass unchecked.
  if (!existsSync(path)) throw new Error(`missing golden file ${path}; run with UPDATE_GOLDEN=1 to create it`);
  expect(text).toBe(readFileSync(path, 'utf8'));
}

function rulesFor(input: TransparentProxyConfigInput): CaptureRuleSet {
  return buildRules(resolveTransparentProxyConfig(parseTransparentProxyConfig(input), { passwdPath: fixture('passwd') }));
}

/** Every option away from its default (both DNS modes are covered by their own goldens). */
const everyOption: TransparentProxyConfigInput = {
  redirectInboundPort: 16006,
  redirectOutboundPort: 16001,
  redirectInbound: true,
  excludeInboundPorts: [22, 8443],
  excludeOutboundPorts: [5432, 6379],
  excludeInboundIps: ['198.18.5.0/24', '2001:2:0:5::/64'],
  excludeOutboundIps: ['198.18.6.7', '2001:2:0:6::7'],
  excludeOutboundPortsForUids: ['tcp:22,1000-2000:1000-1010', 'udp:53:1001', '0'],
  excludeOutboundMark: 0x4d43,
  kumaDpUser: 'meshcap',
  redirectDns: true,
  redirectAllDnsTraffic: false,
  redirectDnsPort: 16053,
  skipDnsConntrackZoneSplit: false,
  resolvConfPath: fixture('resolv.conf'),
  ipFamilyMode: 'dualstack',
  inboundMode: 'tproxy',
  tproxyMark: 0x1337,
  tproxyRouteTable: 137,
  iptablesMode: 'legacy',
  wait: 10,
  waitInterval: 1000,
  maxRetries: 2,
  sleepBetweenRetries: 0.5,
  iptablesLogs: true,
};

/** Kuma's default rule set (kumactl install transparent-proxy, no flags) as iptables-save prints it, from its nat builder. */
const KUMA_DEFAULT_IPV4 = `*nat
:KUMA_MESH_INBOUND - [0:0]
:KUMA_MESH_INBOUND_REDIRECT - [0:0]
:KUMA_MESH_OUTBOUND - [0:0]
:KUMA_MESH_OUTBOUND_REDIRECT - [0:0]
-A PREROUTING -p tcp -j KUMA_MESH_INBOUND
-A OUTPUT -p tcp -j KUMA_MESH_OUTBOUND
-A KUMA_MESH_INBOUND -p tcp -j KUMA_MESH_INBOUND_REDIRECT
-A KUMA_MESH_INBOUND_REDIRECT -p tcp -j REDIRECT --to-ports 15006
-A KUMA_MESH_OUTBOUND -s 127.0.0.6/32 -o lo -j RETURN
-A KUMA_MESH_OUTBOUND ! -d 127.0.0.1/32 -o lo -p tcp -m owner --uid-owner 5678 -j KUMA_MESH_INBOUND_REDIRECT
-A KUMA_MESH_OUTBOUND -o lo -p tcp -m owner ! --uid-owner 5678 -j RETURN
-A KUMA_MESH_OUTBOUND -m owner --uid-owner 5678 -j RETURN
-A KUMA_MESH_OUTBOUND -d 127.0.0.1/32 -j RETURN
-A KUMA_MESH_OUTBOUND -j KUMA_MESH_OUTBOUND_REDIRECT
-A KUMA_MESH_OUTBOUND_REDIRECT -p tcp -j REDIRECT --to-ports 15001
COMMIT
`;

const withoutComments = (text: string) => text.replace(/ -m comment --comment "[^"]*"/g, '');

describe('buildRules: dry-run goldens', () => {
  it('default config, iptables backend', () => {
    expectGolden('default.iptables.txt', renderDryRun(rulesFor({})));
  });

  it('default config, nftables backend', () => {
    expectGolden('default.nftables.txt', renderDryRun(rulesFor({ backend: 'nftables' })));
  });

  it('every option set (TPROXY inbound, resolv.conf DNS, exclusions, mark, logs), iptables backend', () => {
    expectGolden('every-option.iptables.txt', renderDryRun(rulesFor(everyOption)));
  });

  it('every option set, nftables backend', () => {
    expectGolden('every-option.nftables.txt', renderDryRun(rulesFor({ ...everyOption, backend: 'nftables' })));
  });

  it('all DNS captured, IPv4 only, inbound capture off', () => {
    const text = renderDryRun(rulesFor({ redirectAllDnsTraffic: true, ipFamilyMode: 'ipv4', redirectInbound: false }));
    expectGolden('all-dns-ipv4.iptables.txt', text);
    expect(text).not.toContain('### IPv6 ###');
    expectGolden('all-dns-ipv4.nftables.txt', renderDryRun(rulesFor({ redirectAllDnsTraffic: true, ipFamilyMode: 'ipv4', redirectInbound: false, backend: 'nftables' })));
  });
});

describe('buildRules: Kuma compatibility', () => {
  it('the default IPv4 rule set is Kuma default rule set, comments aside', () => {
    const ipv4 = rulesFor({}).families[0]!;
    expect(withoutComments(renderIptablesSave(ipv4)).replace(/^:(PREROUTING|INPUT|OUTPUT|POSTROUTING) ACCEPT \[0:0\]\n/gm, '')).toBe(KUMA_DEFAULT_IPV4);
  });

  it('the IPv6 rule set mirrors IPv4 with ::6 and ::1', () => {
    const [v4, v6] = rulesFor({}).families;
    const text4 = renderIptablesSave(v4!).replaceAll('127.0.0.6/32', '::6/128').replaceAll('127.0.0.1/32', '::1/128');
    expect(renderIptablesSave(v6!)).toBe(text4);
  });

  it('puts exclusions where Kuma does: UID and address exclusions first in OUTPUT, ports in the mesh chains', () => {
    const v4 = rulesFor({ excludeOutboundPortsForUids: ['tcp:1000-2000:0'], excludeOutboundIps: ['198.18.6.0/24'], excludeInboundPorts: [22], excludeOutboundPorts: [25] }).families[0]!;
    const text = withoutComments(renderDryRun({ ...rulesFor({}), families: [v4] }));
    expect(text).toContain('-I OUTPUT 1 -p tcp -m multiport --dports 1000:2000 -m owner --uid-owner 0 -j RETURN');
    expect(text).toContain('-I OUTPUT 2 -d 198.18.6.0/24 -j RETURN');
    expect(text).toContain('-A KUMA_MESH_INBOUND -p tcp -m tcp --dport 22 -j RETURN\n-A KUMA_MESH_INBOUND -p tcp -j KUMA_MESH_INBOUND_REDIRECT');
    expect(text).toContain(':KUMA_MESH_OUTBOUND_REDIRECT - [0:0]\n');
    expect(text.indexOf('-A KUMA_MESH_OUTBOUND -p tcp -m tcp --dport 25 -j RETURN')).toBeLessThan(text.indexOf('-A KUMA_MESH_OUTBOUND -s 127.0.0.6/32'));
  });

  it('captures DNS to the resolv.conf servers only, unless all DNS is asked for', () => {
    const some = withoutComments(renderDryRun(rulesFor({ redirectDns: true, resolvConfPath: fixture('resolv.conf') })));
    expect(some).toContain('-d 198.18.10.53/32 -p udp -m udp --dport 53 -j REDIRECT --to-ports 15053');
    expect(some).toContain('-d 198.18.10.54/32 -p udp -m udp --dport 53 -j REDIRECT --to-ports 15053');
    expect(some).toContain('-d 2001:2::53/128 -p udp -m udp --dport 53 -j REDIRECT --to-ports 15053');
    expect(some).not.toMatch(/^-I OUTPUT \d+ -p udp -m udp --dport 53 -j REDIRECT/m);
    expect(some).toContain('-A PREROUTING -s 198.18.10.53/32 -p udp -m udp --sport 53 -j CT --zone 1');
    const all = withoutComments(renderDryRun(rulesFor({ redirectDns: true, redirectAllDnsTraffic: true, resolvConfPath: '/nonexistent' })));
    expect(all).toMatch(/^-I OUTPUT 2 -p udp -m udp --dport 53 -j REDIRECT --to-ports 15053$/m);
    expect(all).not.toContain('198.18.10.53');
    // Current Kuma leaves the app's DNS over TCP alone (the dataplane's own returned earlier); nothing REDIRECTs TCP/53.
    expect(all).toContain('-A KUMA_MESH_OUTBOUND -m owner --uid-owner 5678 -j RETURN\n-A KUMA_MESH_OUTBOUND -p tcp -m tcp --dport 53 -m owner ! --uid-owner 5678 -j RETURN\n-A KUMA_MESH_OUTBOUND -d 127.0.0.1/32 -j RETURN');
    expect(all).not.toMatch(/-p tcp -m tcp --dport 53 -j REDIRECT/);
    const nft = renderDryRun(rulesFor({ redirectAllDnsTraffic: true, ipFamilyMode: 'ipv4', backend: 'nftables' }));
    expect(nft).toMatch(/tcp dport 53 meta skuid != 5678 .*return/);
    const split = withoutComments(renderDryRun(rulesFor({ redirectAllDnsTraffic: true, skipDnsConntrackZoneSplit: true })));
    expect(split).not.toContain('CT --zone');
  });
});

describe('buildRules: --vnet', () => {
  it("captures a virtual network's TCP leaving it (and its DNS) in PREROUTING before the inbound jump, per family, as Kuma does", () => {
    const rules = rulesFor({ vnet: ['docker0:172.17.0.0/16', 'br+:2001:2:0:9::/64'], redirectDns: true, redirectAllDnsTraffic: true });
    const [v4, v6] = rules.families.map((f) => withoutComments(renderDryRun({ ...rules, families: [f] })));
    expect(v4).toContain('-A PREROUTING -i docker0 -p udp -m udp --dport 53 -j REDIRECT --to-ports 15053\n-A PREROUTING ! -d 172.17.0.0/16 -i docker0 -p tcp -j REDIRECT --to-ports 15001\n-A PREROUTING -p tcp -j KUMA_MESH_INBOUND');
    expect(v4).not.toContain('br+');
    expect(v6).toContain('-A PREROUTING ! -d 2001:2:0:9::/64 -i br+ -p tcp -j REDIRECT --to-ports 15001');
    const nft = renderDryRun(rulesFor({ vnet: ['br+:172.18.0.0/16'], backend: 'nftables', ipFamilyMode: 'ipv4' }));
    expect(nft).toMatch(/ip daddr != 172\.18\.0\.0\/16 iifname "br\*" (meta l4proto tcp |)counter redirect to :15001/);
  });
});

describe('buildRules: every rule is ours and findable', () => {
  it('gives every rule of every mode and backend a comment with the one prefix', () => {
    for (const input of [{}, everyOption, { ...everyOption, inboundMode: 'redirect' as const }, { redirectInbound: false }]) {
      for (const family of rulesFor(input).families) {
        for (const rule of family.rules) expect(rule.comment.startsWith(COMMENT_PREFIX)).toBe(true);
      }
    }
    const nft = renderDryRun(rulesFor({ ...everyOption, backend: 'nftables' }));
    const ruleLines = nft.split('\n').filter((l) => /^\t\t/.test(l) && !l.includes(' hook '));
    expect(ruleLines.length).toBeGreaterThan(20);
    for (const line of ruleLines) expect(line).toContain(`comment "${COMMENT_PREFIX}`);
  });

  it('is pure: the same config gives the same rules', () => {
    expect(rulesFor(everyOption)).toEqual(rulesFor(everyOption));
    expect(renderDryRun(buildRules(resolveTransparentProxyConfig(defaultTransparentProxyConfig())))).toBe(renderDryRun(rulesFor({})));
  });
});
