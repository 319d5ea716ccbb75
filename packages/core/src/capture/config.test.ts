import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { meshcapErrorOf } from '../testing.ts';
import {
  defaultTransparentProxyConfig,
  loadTransparentProxyConfig,
  nameserversFromResolvConf,
  parseCidr,
  parseTransparentProxyConfig,
  parseUidExclusion,
  resolveTransparentProxyConfig,
  transparentProxyOptions,
  envVarName,
} from './index.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'meshcap-capture-')), name);
  writeFileSync(path, text);
  return path;
}

describe('transparent-proxy config: defaults and names', () => {
  it("has Kuma's defaults", () => {
    expect(defaultTransparentProxyConfig()).toMatchObject({
      redirectInboundPort: 15006,
      redirectOutboundPort: 15001,
      redirectInbound: true,
      kumaDpUser: '5678',
      redirectDns: false,
      redirectAllDnsTraffic: false,
      redirectDnsPort: 15053,
      ipFamilyMode: 'dualstack',
      inboundMode: 'redirect',
      backend: 'iptables',
      wait: 5,
      maxRetries: 4,
      iptablesLogs: false,
      excludeInboundPorts: [],
    });
    expect(defaultTransparentProxyConfig().excludeOutboundMark).toBeUndefined();
  });

  it('names every env var after its flag', () => {
    const option = transparentProxyOptions.find((o) => o.key === 'excludeOutboundPortsForUids')!;
    expect(envVarName(option)).toBe('MESHCAP_TRANSPARENT_PROXY_EXCLUDE_OUTBOUND_PORTS_FOR_UIDS');
    expect(new Set(transparentProxyOptions.map((o) => o.flag)).size).toBe(transparentProxyOptions.length);
  });
});

describe('transparent-proxy config: sources', () => {
  it('reads flags as node:util parseArgs returns them (lists by comma, repeated entries, hex marks, durations)', () => {
    const config = loadTransparentProxyConfig({
      flags: {
        'redirect-inbound-port': '16006',
        'redirect-inbound': false,
        'exclude-inbound-ports': ['22,443', '8080'],
        'exclude-outbound-ips': ['198.18.6.7,2001:2::/48'],
        'exclude-outbound-ports-for-uids': ['tcp:22:1000', 'udp:53:1001;0'],
        'exclude-outbound-mark': '0x4d43',
        'sleep-between-retries': '500ms',
        'ip-family-mode': 'ipv4',
      },
    });
    expect(config).toMatchObject({
      redirectInboundPort: 16006,
      redirectInbound: false,
      excludeInboundPorts: [22, 443, 8080],
      excludeOutboundIps: ['198.18.6.7/32', '2001:2::/48'],
      excludeOutboundPortsForUids: ['tcp:22:1000', 'udp:53:1001', '0'],
      excludeOutboundMark: 0x4d43,
      sleepBetweenRetries: 0.5,
      ipFamilyMode: 'ipv4',
    });
  });

  it('lets flags win over env vars, and env vars over the config file', () => {
    const file = tempFile('tp.yaml', 'redirectInboundPort: 17006\nredirect-outbound-port: 17001\nredirectDnsPort: 17053\nexcludeInboundPorts: [1, 2]\n');
    const config = loadTransparentProxyConfig({
      configFile: file,
      env: { MESHCAP_TRANSPARENT_PROXY_REDIRECT_OUTBOUND_PORT: '18001', MESHCAP_TRANSPARENT_PROXY_REDIRECT_INBOUND_PORT: '18006', UNRELATED: 'x' },
      flags: { 'redirect-inbound-port': '19006' },
    });
    expect(config.redirectInboundPort).toBe(19006);
    expect(config.redirectOutboundPort).toBe(18001);
    expect(config.redirectDnsPort).toBe(17053);
    expect(config.excludeInboundPorts).toEqual([1, 2]);
  });

  it('reads a JSON config file too', () => {
    const file = tempFile('tp.json', JSON.stringify({ backend: 'nftables', excludeOutboundPortsForUids: ['0'], redirectDns: true }));
    expect(loadTransparentProxyConfig({ configFile: file })).toMatchObject({ backend: 'nftables', excludeOutboundPortsForUids: ['0'], redirectDns: true });
  });
});

describe('transparent-proxy config: bad input names the flag and the value', () => {
  it.each([
    [{ 'redirect-inbound-port': '70000' }, '--redirect-inbound-port: 70000 must be a port (1-65535)'],
    [{ 'redirect-inbound-port': 'http' }, '--redirect-inbound-port: "http" is not a whole number'],
    [{ 'exclude-inbound-ports': '22,0' }, '--exclude-inbound-ports: 0 must be a port (1-65535)'],
    [{ 'exclude-inbound-ports': '22,ssh' }, '--exclude-inbound-ports: "ssh" must be a port number'],
    [{ 'exclude-outbound-ips': '198.18.0.0/33' }, '--exclude-outbound-ips: "198.18.0.0/33" is not an IPv4/IPv6 address or CIDR'],
    [{ 'exclude-inbound-ips': '2001:2::/48,not-an-ip' }, '--exclude-inbound-ips: "not-an-ip" is not an IPv4/IPv6 address or CIDR'],
    [{ 'exclude-outbound-ports-for-uids': ['icmp:1:1'] }, '--exclude-outbound-ports-for-uids: "icmp:1:1" has an unknown protocol "icmp"'],
    [{ 'exclude-outbound-ports-for-uids': ['tcp:22:*'] }, 'cannot use "*" for the UIDs'],
    [{ 'exclude-outbound-ports-for-uids': ['tcp:99999:1'] }, 'has an invalid port or range "99999"'],
    [{ 'ip-family-mode': 'ipv6' }, '--ip-family-mode: "ipv6" must be dualstack or ipv4'],
    [{ 'inbound-mode': 'dnat' }, '--inbound-mode: "dnat" must be redirect or tproxy'],
    [{ backend: 'pf' }, '--backend: "pf" must be iptables or nftables'],
    [{ 'redirect-dns': 'maybe' }, '--redirect-dns: "maybe" is not true or false'],
    [{ 'tproxy-route-table': '254' }, '--tproxy-route-table: 254 must not be a reserved table'],
    [{ 'exclude-outbound-mark': '0x100000000' }, '--exclude-outbound-mark: 4294967296 must be a mark (1-0xffffffff)'],
    [{ 'redirect-outbound-port': '15006' }, '--redirect-outbound-port: 15006 must differ from the inbound port 15006'],
    [{ 'sleep-between-retries': 'soon' }, '--sleep-between-retries: "soon" is not a duration'],
    [{ 'kuma-dp-user': 'bad user!' }, '--kuma-dp-user: "bad user!" must be a UID or a user name'],
  ])('%j', (flags, message) => {
    const err = meshcapErrorOf(() => loadTransparentProxyConfig({ flags: flags as Record<string, string> }));
    expect(err.code).toBe('MESHCAP_ERR_INVALID_ARGUMENT');
    expect(err.message).toContain(message);
  });

  it('names the env var and the config file field', () => {
    expect(meshcapErrorOf(() => loadTransparentProxyConfig({ env: { MESHCAP_TRANSPARENT_PROXY_REDIRECT_DNS_PORT: '0' } })).message).toBe(
      'MESHCAP_TRANSPARENT_PROXY_REDIRECT_DNS_PORT: 0 must be a port (1-65535)',
    );
    const file = tempFile('bad.yaml', 'excludeOutboundIps: ["198.18.0.1", "300.1.1.1"]\nbogus: 1\n');
    const err = meshcapErrorOf(() => loadTransparentProxyConfig({ configFile: file }));
    expect(err.message).toContain(`${file}: excludeOutboundIps: "300.1.1.1" is not an IPv4/IPv6 address or CIDR`);
    expect(err.message).toContain(`${file}: unknown option(s) "bogus"`);
    expect(meshcapErrorOf(() => loadTransparentProxyConfig({ configFile: '/nonexistent/tp.yaml' })).message).toMatch(/^--config-file: cannot read "\/nonexistent\/tp.yaml"/);
    expect(meshcapErrorOf(() => loadTransparentProxyConfig({ configFile: tempFile('x.yaml', 'a: [') })).code).toBe('MESHCAP_ERR_YAML_SYNTAX');
    // A map where a list of addresses or entries belongs is shown as the user wrote it.
    const nested = tempFile('nested.yaml', 'excludeOutboundIps: { a: 1 }\nexcludeOutboundPortsForUids: [{ tcp: 22 }]\n');
    const nestedErr = meshcapErrorOf(() => loadTransparentProxyConfig({ configFile: nested }));
    expect(nestedErr.message).toContain(`${nested}: excludeOutboundIps: {"a":1} is not an IPv4/IPv6 address or CIDR`);
    expect(nestedErr.message).toContain(`${nested}: excludeOutboundPortsForUids: {"tcp":22} must be [tcp|udp|*:][ports:]uids`);
  });

  it('reports an unknown --kuma-dp-user when resolving', () => {
    const config = loadTransparentProxyConfig({ flags: { 'kuma-dp-user': 'nobody-here' } });
    const err = meshcapErrorOf(() => resolveTransparentProxyConfig(config, { passwdPath: fixture('passwd') }));
    expect(err.message).toBe(`--kuma-dp-user: "nobody-here" is not a UID nor a user in ${fixture('passwd')}`);
    expect(resolveTransparentProxyConfig(parseTransparentProxyConfig({ kumaDpUser: 'kuma-dp' }), { passwdPath: fixture('passwd') }).kumaDpUid).toBe(5678);
  });
});

describe('addresses and exclusions', () => {
  it('normalises addresses and networks the way iptables-save prints them', () => {
    expect(parseCidr('198.18.3.7/15')?.text).toBe('198.18.0.0/15');
    expect(parseCidr('198.18.3.7')?.text).toBe('198.18.3.7/32');
    expect(parseCidr('2001:0002:0000:0000:0000:0000:0000:0001')?.text).toBe('2001:2::1/128');
    expect(parseCidr('2001:2:0:1:0:0:0:5/64')?.text).toBe('2001:2:0:1::/64');
    expect(parseCidr('2001:2::1:0:0:1')?.text).toBe('2001:2::1:0:0:1/128');
    expect(parseCidr('2001:2:0:1:1:0:0:1')?.text).toBe('2001:2:0:1:1::1/128');
    expect(parseCidr('::ffff:198.18.0.1')?.text).toBe('::ffff:198.18.0.1/128');
    expect(parseCidr('::')?.text).toBe('::/128');
    for (const bad of ['198.18.0.1/33', '198.18.0', 'fe80::1%eth0', '2001:2::/129', '198.18.0.1/-1', '']) expect(parseCidr(bad)).toBeUndefined();
  });

  it('reads nameservers from a resolv.conf', () => {
    expect(nameserversFromResolvConf('nameserver 198.18.10.53\n# nameserver 198.18.0.9\nnameserver 2001:2::53\nnameserver 198.18.10.53\nsearch x\n')).toEqual({
      ipv4: ['198.18.10.53'],
      ipv6: ['2001:2::53'],
    });
  });

  it("parses Kuma's [protocol:][ports:]uids", () => {
    expect(parseUidExclusion('1003')).toEqual({ protocols: ['tcp', 'udp'], ports: [], uids: { from: 1003, to: 1003 } });
    expect(parseUidExclusion('80:1002')).toEqual({ protocols: ['tcp', 'udp'], ports: [{ from: 80, to: 80 }], uids: { from: 1002, to: 1002 } });
    expect(parseUidExclusion('tcp:22,1000-2000:1000-1010')).toEqual({
      protocols: ['tcp'],
      ports: [
        { from: 22, to: 22 },
        { from: 1000, to: 2000 },
      ],
      uids: { from: 1000, to: 1010 },
    });
    expect(parseUidExclusion('udp:*:5')).toMatchObject({ protocols: ['udp'], ports: [] });
    expect(parseUidExclusion('tcp:1-2-3:5')).toMatch(/invalid port/);
    expect(parseUidExclusion('a:b:c:d')).toMatch(/must be/);
    expect(parseUidExclusion('')).toMatch(/must be/);
    expect(parseUidExclusion('tcp:22:')).toMatch(/invalid UID/);
    expect(parseUidExclusion('tcp:2000-1000:1')).toMatch(/invalid port/);
  });
});
