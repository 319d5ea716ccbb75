import { describe, expect, it } from 'vitest';
import { isMeshcapError } from '../errors.ts';
import { loadTransparentProxyOptions } from './config-sources.ts';
import { parseTransparentProxyConfig } from './config.ts';

const load = (...docs: string[]) => loadTransparentProxyOptions({ kumaConfigs: docs.map((text, i) => ({ source: `kuma-${i + 1}.yaml`, text })) });

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isMeshcapError(err)) return err.message;
    throw err;
  }
  throw new Error('no error');
}

describe("kumactl's transparent-proxy config (--config)", () => {
  it("loads Kuma's schema as written, fields at their off values accepted", () => {
    const { config, run } = load(`
kumaDPUser: "5678"
redirect:
  inbound: { enabled: true, port: 16006, excludePorts: [22, "443"], excludePortsForIPs: [198.18.9.0/24], includePorts: [] }
  outbound: { enabled: true, port: 16001, excludePorts: "25,587", excludePortsForUIDs: ["tcp:22:1000"], excludePortsForIPs: ["2001:2:0:9::/64"] }
  dns: { enabled: true, port: 16053, captureAll: true, skipConntrackZoneSplit: true, resolvConfigPath: /etc/resolv.conf }
  vnet: { networks: ["docker0:172.17.0.0/16"] }
ebpf: { enabled: false, bpffsPath: /run/kuma/bpf }
log: { enabled: true, level: 7 }
wait: 10
waitInterval: 5
retry: { maxRetries: 2, sleepBetweenRetries: 500ms }
comments: { disabled: false }
ipFamilyMode: ipv4
verbose: true
`);
    expect(config).toEqual(
      parseTransparentProxyConfig({
        kumaDpUser: '5678',
        redirectInbound: true,
        redirectInboundPort: 16006,
        excludeInboundPorts: [22, 443],
        excludeInboundIps: ['198.18.9.0/24'],
        redirectOutboundPort: 16001,
        excludeOutboundPorts: [25, 587],
        excludeOutboundPortsForUids: ['tcp:22:1000'],
        excludeOutboundIps: ['2001:2:0:9::/64'],
        redirectDns: true,
        redirectAllDnsTraffic: true,
        redirectDnsPort: 16053,
        skipDnsConntrackZoneSplit: true,
        resolvConfPath: '/etc/resolv.conf',
        vnet: ['docker0:172.17.0.0/16'],
        iptablesLogs: true,
        wait: 10,
        waitInterval: 5,
        maxRetries: 2,
        sleepBetweenRetries: 0.5,
        ipFamilyMode: 'ipv4',
      }),
    );
    expect(run).toEqual({ verbose: true });
  });

  it('merges files in order (later fields win, others stay); env and flags win over files', () => {
    const a = 'redirect: { inbound: { port: 16006 }, outbound: { port: 16001 } }';
    const b = 'redirect: { outbound: { port: 17001 } }';
    expect(load(a, b).config).toMatchObject({ redirectInboundPort: 16006, redirectOutboundPort: 17001 });
    const withFlag = loadTransparentProxyOptions({
      kumaConfigs: [{ source: 'a.yaml', text: a }],
      env: { MESHCAP_TRANSPARENT_PROXY_REDIRECT_INBOUND_PORT: '18006' },
      flags: { 'redirect-outbound-port': '19001' },
    });
    expect(withFlag.config).toMatchObject({ redirectInboundPort: 18006, redirectOutboundPort: 19001 });
    expect(withFlag.origins.redirectInboundPort).toBe('env');
  });

  it("is Kuma's meaning of captureAll: nothing without DNS redirection enabled", () => {
    expect(load('redirect: { dns: { captureAll: true } }').config).toMatchObject({ redirectDns: false, redirectAllDnsTraffic: false });
    expect(load('redirect: { dns: { enabled: true } }', 'redirect: { dns: { captureAll: true } }').config).toMatchObject({ redirectDns: true, redirectAllDnsTraffic: true });
  });

  it.each([
    ['redirect: { inbound: { port: 70000 } }', 'kuma-1.yaml: redirect.inbound.port: 70000 must be a port (1-65535)'],
    ['redirect: { inbound: { prot: 1 } }', 'kuma-1.yaml: redirect.inbound: unknown field(s) "prot" (not in kumactl\'s transparent-proxy config)'],
    ['redirect: { dns: { enabled: yes-please } }', 'kuma-1.yaml: redirect.dns.enabled: Invalid input: expected boolean, received string'],
    ['ebpf: { enabled: true }', 'kuma-1.yaml: ebpf.enabled: meshcap does not support eBPF capture (iptables or nftables only)'],
    ['redirect: { outbound: { includePorts: [80] } }', 'kuma-1.yaml: redirect.outbound.includePorts: meshcap does not support capturing only some ports'],
    ['redirect: { vnet: { networks: ["docker0"] } }', 'kuma-1.yaml: redirect.vnet.networks: "docker0" must be IFACE:CIDR (e.g. docker0:172.17.0.0/16)'],
    ['redirect: [', 'kuma-1.yaml: '],
  ])('%s is refused naming the file and the field', (text, message) => {
    expect(errorOf(() => load(text))).toContain(message);
  });

});
