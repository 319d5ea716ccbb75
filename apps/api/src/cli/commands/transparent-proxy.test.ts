import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRules, parseTransparentProxyConfig, renderDryRun, resolveTransparentProxyConfig } from '@meshcap/core';
import { describeNetns, Lab, type Host } from '@meshcap/testkit';
import { main } from '../main.ts';

const bin = fileURLToPath(new URL('../../../bin/meshcap.js', import.meta.url));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Runs the meshcap binary inside a host's namespace (execFile: nothing is written to its stdin). */
function meshcapIn(host: Host, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', host.netns, process.execPath, bin, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const expected = (input: Parameters<typeof parseTransparentProxyConfig>[0]) =>
  renderDryRun(buildRules(resolveTransparentProxyConfig(parseTransparentProxyConfig(input))));

describe('meshcap install transparent-proxy: flags', () => {
  it('--dry-run prints the ### IPv4 ### / ### IPv6 ### blocks of the default rules', async () => {
    const r = await cli(['install', 'transparent-proxy', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(expected({}));
    expect(r.out).toMatch(/^### IPv4 ###\n\*nat\n/);
    expect(r.out).toContain('\n### IPv6 ###\n*nat\n');
  });

  it("takes Kuma's flag spellings: --flag=false, --no-flag, repeated and comma lists", async () => {
    const r = await cli([
      ...['install', 'transparent-proxy', '--dry-run', '--redirect-inbound=false', '--no-redirect-dns', '--iptables-logs=true'],
      ...['--exclude-outbound-ports-for-uids', 'tcp:22:1000', '--exclude-outbound-ports-for-uids', '0', '--exclude-inbound-ports', '22,443'],
      ...['--redirect-outbound-port=16001', '--ip-family-mode', 'ipv4', '--backend', 'nftables', '--exclude-outbound-mark', '0x4d43'],
    ]);
    expect(r.err).toBe('');
    expect(r.out).toBe(
      expected({
        redirectInbound: false,
        iptablesLogs: true,
        excludeOutboundPortsForUids: ['tcp:22:1000', '0'],
        excludeInboundPorts: [22, 443],
        redirectOutboundPort: 16001,
        ipFamilyMode: 'ipv4',
        backend: 'nftables',
        excludeOutboundMark: 0x4d43,
      }),
    );
  });

  it("takes kumactl's --vnet IFACE:CIDR, repeated", async () => {
    const r = await cli(['install', 'transparent-proxy', '--dry-run', '--vnet', 'docker0:172.17.0.0/16', '--vnet', 'br+:2001:2:0:9::/64']);
    expect(r.err).toBe('');
    expect(r.out).toBe(expected({ vnet: ['docker0:172.17.0.0/16', 'br+:2001:2:0:9::/64'] }));
    expect(r.out).toContain('-A PREROUTING ! -d 172.17.0.0/16 -i docker0 -p tcp -m comment');
  });

  it("takes kumactl's --config files, repeated and merged in order, - for stdin, flags winning", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshcap-cli-'));
    const first = join(dir, 'first.yaml');
    writeFileSync(first, 'redirect:\n  inbound: { port: 16006, excludePorts: [22] }\n  outbound: { port: 16001 }\n');
    const args = [bin, 'install', 'transparent-proxy', '--dry-run', '--config', first, '--config', '-', '--redirect-inbound-port', '19006'];
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = execFile(process.execPath, args, { timeout: 60_000 }, (err, out, errOut) => (err ? reject(new Error(errOut)) : resolve(out)));
      child.stdin!.end('redirect: { outbound: { port: 17001 } }\nipFamilyMode: ipv4\n');
    });
    expect(stdout).toBe(expected({ redirectInboundPort: 19006, excludeInboundPorts: [22], redirectOutboundPort: 17001, ipFamilyMode: 'ipv4' }));
    writeFileSync(first, 'redirect: { dns: { port: 0 } }\n');
    const bad = await cli(['install', 'transparent-proxy', '--dry-run', '--config', first]);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe(`error: ${first}: redirect.dns.port: 0 must be a port (1-65535)`);
  });

  it('reads MESHCAP_TRANSPARENT_PROXY_* and --config-file, flags winning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshcap-cli-'));
    const file = join(dir, 'tp.yaml');
    writeFileSync(file, 'redirectInboundPort: 17006\nredirectOutboundPort: 17001\nipFamilyMode: ipv4\n');
    process.env.MESHCAP_TRANSPARENT_PROXY_REDIRECT_OUTBOUND_PORT = '18001';
    try {
      const r = await cli(['install', 'transparent-proxy', '--dry-run', '--config-file', file, '--redirect-inbound-port', '19006']);
      expect(r.code).toBe(0);
      expect(r.out).toBe(expected({ redirectInboundPort: 19006, redirectOutboundPort: 18001, ipFamilyMode: 'ipv4' }));
    } finally {
      delete process.env.MESHCAP_TRANSPARENT_PROXY_REDIRECT_OUTBOUND_PORT;
    }
  });

  it.each([
    [['--bogus'], 'error: unknown flag --bogus (see meshcap install transparent-proxy --help)'],
    [['--redirect-inbound-port'], 'error: --redirect-inbound-port: needs a value'],
    [['--redirect-inbound-port', '70000'], 'error: --redirect-inbound-port: 70000 must be a port (1-65535)'],
    [['--exclude-outbound-ips', '198.18.0.0/40'], 'error: --exclude-outbound-ips: "198.18.0.0/40" is not an IPv4/IPv6 address or CIDR'],
    [['--exclude-inbound-ips', '2001:2::zz'], 'error: --exclude-inbound-ips: "2001:2::zz" is not an IPv4/IPv6 address or CIDR'],
    [['--kuma-dp-user', 'no-such-user-here'], 'error: --kuma-dp-user: "no-such-user-here" is not a UID nor a user in /etc/passwd'],
    [['--redirect-inbound=maybe'], 'error: --redirect-inbound: "maybe" is not true or false'],
    [['--exclude-outbound-ports-for-uids', 'tcp:1:2:3'], 'error: --exclude-outbound-ports-for-uids: "tcp:1:2:3" must be [tcp|udp|*:][ports:]uids'],
    [['--config-file', '/nonexistent/tp.yaml'], 'error: --config-file: cannot read "/nonexistent/tp.yaml"'],
    [['surplus'], 'error: unexpected argument "surplus"'],
    [['--vnet', 'docker0'], 'error: --vnet: "docker0" must be IFACE:CIDR (e.g. docker0:172.17.0.0/16)'],
    [['--vnet', 'docker0:172.17.0.0/33'], 'error: --vnet: "docker0:172.17.0.0/33" has an invalid CIDR "172.17.0.0/33"'],
  ])('%j is a usage error (exit 2), nothing printed to stdout', async (flags, message) => {
    const r = await cli(['install', 'transparent-proxy', ...flags]);
    expect(r.code).toBe(2);
    expect(r.err.startsWith(message)).toBe(true);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.out).toBe('');
  });

  it('--help lists every flag with its default', async () => {
    const r = await cli(['install', 'transparent-proxy', '--help']);
    expect(r.out).toContain('--redirect-inbound-port <value>');
    expect(r.out).toContain('(default 15006)');
    expect(r.out).toContain('--inbound-mode <value>');
    expect(r.out).toContain('--exclude-outbound-mark <value>');
    expect(r.out).toContain('--dry-run');
  });

  it('--dry-run runs without root (the binary, as user nobody)', async () => {
    const asNobody = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'env', 'HOME=/tmp'] : [];
    const [file, ...rest] = [...asNobody, process.execPath, bin, 'install', 'transparent-proxy', '--dry-run', '--inbound-mode', 'tproxy'];
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(file!, rest, { timeout: 60_000 }, (err, out) => (err ? reject(err) : resolve(out)));
    });
    expect(stdout).toBe(expected({ inboundMode: 'tproxy' }));
  }, 60_000);
});

describeNetns('meshcap install/uninstall transparent-proxy: the binary in a namespace', () => {
  let lab: Lab;
  let host: Host;
  beforeAll(async () => {
    lab = Lab.create('capcli');
    host = await lab.host('dp');
    await host.sh('iptables -t nat -A OUTPUT -d 198.18.77.1 -j RETURN && ip6tables -t nat -A OUTPUT -d 2001:2:0:77::1 -j RETURN');
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  const save = async () => `${(await host.run('iptables-save', ['-t', 'nat'])).stdout}${(await host.run('ip6tables-save', ['-t', 'nat'])).stdout}`.replace(/^#.*\n/gm, '');

  it('installs, reports, and uninstalls back to the state before', async () => {
    const before = await save();
    const installed = await meshcapIn(host, ['install', 'transparent-proxy', '--exclude-inbound-ports', '22', '--verbose']);
    expect(installed.stdout).toContain('transparent proxy installed (iptables-nft, IPv4 and IPv6, inbound redirect): inbound -> 15006, outbound -> 15001; traffic of UID 5678 is not captured');
    expect(installed.stderr).toContain('# $ ');
    const during = await save();
    expect(during).toContain('-A KUMA_MESH_INBOUND -p tcp -m tcp --dport 22 -m comment --comment "meshcap/');
    expect(during).toContain('-A OUTPUT -d 198.18.77.1/32 -j RETURN');

    const dry = await meshcapIn(host, ['uninstall', 'transparent-proxy', '--dry-run']);
    expect(dry.stdout).toContain('### IPv4 (iptables-nft) ###\n*nat\n-D PREROUTING -p tcp -m comment');
    expect(await save()).toBe(during);

    const removed = await meshcapIn(host, ['uninstall', 'transparent-proxy']);
    expect(removed.stdout).toContain('transparent proxy uninstalled');
    expect(await save()).toBe(before);
    const again = await meshcapIn(host, ['uninstall', 'transparent-proxy']);
    expect(again.stdout).toContain('nothing to uninstall');
  }, 120_000);

  it('bad input applies nothing', async () => {
    const before = await save();
    const r = await meshcapIn(host, ['install', 'transparent-proxy', '--exclude-outbound-ips', '198.18.0.1,198.18.0.999']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('error: --exclude-outbound-ips: "198.18.0.999" is not an IPv4/IPv6 address or CIDR');
    expect(await save()).toBe(before);
  }, 60_000);
});

describe('meshcap uninstall transparent-proxy: flags', () => {
  it('checks the flags of install the same way (a mistake is a usage error naming the flag)', async () => {
    const err: string[] = [];
    const code = await main(['uninstall', 'transparent-proxy', '--redirect-inbound-port', '70000'], { stdout: () => {}, stderr: (t) => err.push(t) });
    expect(code).toBe(2);
    expect(err).toEqual(['error: --redirect-inbound-port: 70000 must be a port (1-65535)']);
    const unknown: string[] = [];
    expect(await main(['uninstall', 'transparent-proxy', '--bogus'], { stdout: () => {}, stderr: (t) => unknown.push(t) })).toBe(2);
    expect(unknown).toEqual(['error: unknown flag --bogus (see meshcap uninstall transparent-proxy --help)']);
  });
});

describeNetns('meshcap uninstall transparent-proxy in a namespace', () => {
  let lab: Lab;
  let host: Host;
  beforeAll(async () => {
    lab = Lab.create('capuncli');
    host = await lab.host('dp');
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('says so when nothing is installed, in a dry run and for real', async () => {
    const dry = await meshcapIn(host, ['uninstall', 'transparent-proxy', '--dry-run']);
    expect(dry.stdout.trim()).toBe('# nothing of meshcap is installed');
    const real = await meshcapIn(host, ['uninstall', 'transparent-proxy']);
    expect(real.stdout.trim()).toBe('nothing to uninstall: no meshcap rules found');
  }, 60_000);

  it('removes its rules but leaves, and reports, a chain that a foreign rule still uses', async () => {
    const installed = await meshcapIn(host, ['install', 'transparent-proxy', '--ip-family-mode', 'ipv4']);
    expect(installed.code).toBe(0);
    await host.sh('iptables -t nat -A OUTPUT -p tcp --dport 9 -j KUMA_MESH_OUTBOUND_REDIRECT');
    const r = await meshcapIn(host, ['uninstall', 'transparent-proxy']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: left in place: nat chain KUMA_MESH_OUTBOUND_REDIRECT is used by a rule meshcap did not install: -A OUTPUT -p tcp -m tcp --dport 9 -j KUMA_MESH_OUTBOUND_REDIRECT');
    const save = (await host.run('iptables-save', ['-t', 'nat'])).stdout;
    expect(save).not.toContain('meshcap/');
    expect(save).toContain(':KUMA_MESH_OUTBOUND_REDIRECT - [0:0]');
    expect(save).not.toContain(':KUMA_MESH_OUTBOUND - [0:0]');
  }, 60_000);
});

describeNetns('meshcap uninstall transparent-proxy with the install flags', () => {
  let lab: Lab;
  let host: Host;
  beforeAll(async () => {
    lab = Lab.create('capunflags');
    host = await lab.host('dp');
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('takes the install flags back: --backend nftables removes the nftables install; other flags narrow and report what stays', async () => {
    const installFlags = ['--backend', 'nftables', '--redirect-dns', '--exclude-inbound-ports', '22', '--ip-family-mode', 'ipv4'];
    expect((await meshcapIn(host, ['install', 'transparent-proxy', ...installFlags])).code).toBe(0);
    expect((await host.run('nft', ['list', 'tables'])).stdout).toContain('table ip meshcap');
    const r = await meshcapIn(host, ['uninstall', 'transparent-proxy', ...installFlags]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('transparent proxy uninstalled');
    expect((await host.run('nft', ['list', 'tables'])).stdout).not.toContain('meshcap');

    // An iptables dualstack install is outside `--backend nftables` and outside `--ip-family-mode ipv4` for IPv6.
    const installed = await meshcapIn(host, ['install', 'transparent-proxy']);
    expect(installed.stderr).toBe('');
    const other = await meshcapIn(host, ['uninstall', 'transparent-proxy', '--backend', 'nftables']);
    expect(other.stdout.trim()).toBe('nothing to uninstall: no meshcap rules found');
    expect(other.stderr).toContain('warning: left in place, outside the flags given: ### IPv4 (iptables-nft) ### (run without them to remove it)');
    expect((await host.run('iptables-save', ['-t', 'nat'])).stdout).toContain('meshcap/');
    const v4 = await meshcapIn(host, ['uninstall', 'transparent-proxy', '--ip-family-mode', 'ipv4']);
    expect(v4.stdout.trim()).toBe('transparent proxy uninstalled');
    expect(v4.stderr).toContain('warning: left in place, outside the flags given: ### IPv6 (iptables-nft) ###');
    expect((await host.run('iptables-save', ['-t', 'nat'])).stdout).not.toContain('meshcap/');
    expect((await host.run('ip6tables-save', ['-t', 'nat'])).stdout).toContain('meshcap/');
    expect((await meshcapIn(host, ['uninstall', 'transparent-proxy'])).stdout.trim()).toBe('transparent proxy uninstalled');
    expect((await host.run('ip6tables-save', ['-t', 'nat'])).stdout).not.toContain('meshcap/');
  }, 120_000);
});
