import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installTransparentProxy, parseTransparentProxyConfig, type TraceResult } from '@meshcap/core';
import { describeNetns, Lab, type Host } from '@meshcap/testkit';
import { main } from '../main.ts';

const bin = fileURLToPath(new URL('../../../bin/meshcap.js', import.meta.url));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('meshcap trace: flags', () => {
  const outbound = ['trace', '--direction', 'outbound', '--src', '198.18.0.1'];
  const cases: Array<[string[], string]> = [
    [['trace', '--src', '198.18.0.1', '--dst', '198.18.0.2:80'], 'error: --direction is required (see meshcap trace --help)'],
    [['trace', '--direction', 'sideways', '--src', '198.18.0.1', '--dst', '198.18.0.2:80'], 'error: --direction: "sideways" is not inbound or outbound'],
    [['trace', '--direction', 'outbound', '--src', 'example.com', '--dst', '198.18.0.2:80'], 'error: --src: "example.com" is not an IPv4 or IPv6 address'],
    [[...outbound, '--dst', '198.18.0.2'], 'error: --dst: "198.18.0.2" is not IP:PORT (IPv6 as [addr]:port)'],
    [[...outbound, '--dst', '2001:2::2:80'], 'error: --dst: "2001:2::2:80" is not IP:PORT (IPv6 as [addr]:port)'],
    [[...outbound, '--dst', '198.18.0.2:70000'], 'error: --dst: "70000" is not a port (1-65535)'],
    [[...outbound, '--dst', '[2001:2::2]:80'], 'error: --dst: "[2001:2::2]:80" is not of the same IP family as --src 198.18.0.1'],
    [[...outbound, '--dst', '198.18.0.2:80', '--proto', 'icmp'], 'error: --proto: "icmp" is not tcp or udp'],
    [[...outbound, '--dst', '198.18.0.2:80', '--mark', '0x1ffffffff'], 'error: --mark: "0x1ffffffff" is not a 32-bit mark (decimal or 0x hex)'],
    [[...outbound, '--dst', '198.18.0.2:80', '--uid', 'no-such-user-here'], 'error: --uid: "no-such-user-here" is neither a number nor a user in /etc/passwd'],
    [[...outbound, '--dst', '198.18.0.2:80', '--gid=-1'], 'error: --gid: "-1" is not a numeric id (0-4294967294)'],
    [[...outbound, '--dst', '198.18.0.2:80', '--src-port', 'x'], 'error: --src-port: "x" is not a port (1-65535)'],
    [[...outbound, '--dst', '198.18.0.2:80', '--out-iface', 'a/b'], 'error: --out-iface: "a/b" is not an interface name'],
    [[...outbound, '--dst', '198.18.0.2:80', '-o', 'yaml'], 'error: --output: "yaml" is not text or json'],
    [[...outbound, '--dst', '198.18.0.2:80', '--bogus'], 'error: unknown flag --bogus (see meshcap trace --help)'],
    [[...outbound, '--dst', '198.18.0.2:80', '--rules', '/nonexistent/rules.txt'], 'error: --rules: cannot read "/nonexistent/rules.txt": ENOENT'],
    [[...outbound, '--dst', '198.18.0.2:80', '--rules', '/dev/null', '--local-address', 'eth0=198.18.0.1'], 'error: --local-address: "eth0=198.18.0.1" is not IFACE=ADDR/LEN (e.g. eth0=198.18.0.1/24)'],
    [['trace', '--direction', 'inbound', '--dst', '198.18.0.1:80'], "error: --src is required for an inbound trace (the remote client's address) (see meshcap trace --help)"],
    [['trace', '--direction', 'outbound', '--dst', '198.18.0.2:80', '--rules', '/dev/null'], "error: --src is required with --rules (the saved rules are not this host's routes) (see meshcap trace --help)"],
    [[...outbound, '--dst', '198.18.0.2:80', '--local-address', 'eth0=198.18.0.1/24'], 'error: --local-address goes with --rules (live tracing reads the addresses itself)'],
  ];
  for (const [args, message] of cases) {
    it(`rejects ${args.slice(1).join(' ')}`, async () => {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.err).toBe(message);
    });
  }

  it('prints its help', async () => {
    const r = await cli(['trace', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--dst IP:PORT/);
  });
});

describe('meshcap trace --rules FILE', () => {
  let dir: string;
  let saved: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshcap-trace-cli-'));
    // A saved rule set: meshcap's own dry-run text (### IPv4 ### / ### IPv6 ### blocks) for the Kuma default.
    const { text } = await installTransparentProxy(parseTransparentProxyConfig({}), { dryRun: true });
    saved = join(dir, 'rules.txt');
    writeFileSync(saved, text);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('traces a saved file: captured, with the deciding rule, as text', async () => {
    const r = await cli(['trace', '--direction', 'outbound', '--src', '198.18.0.1', '--dst', '198.18.0.2:80', '--uid', '1000', '--rules', saved, '--local-address', 'eth0=198.18.0.1/24', '--local-address', 'lo=127.0.0.1/8']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^verdict: captured to port 15001 via REDIRECT \(127\.0\.0\.1:15001\)$/m);
    expect(r.out).toMatch(/^decided by: nat KUMA_MESH_OUTBOUND_REDIRECT #1 \[meshcap\]: -A KUMA_MESH_OUTBOUND_REDIRECT -p tcp /m);
  });

  it('traces IPv6 as JSON and says when a verdict is uncertain', async () => {
    const r = await cli(['trace', '--direction', 'outbound', '--src', '2001:2::1', '--dst', '[2001:2::2]:80', '--rules', saved, '-o', 'json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out) as TraceResult & { sources: unknown[] };
    expect(result.family).toBe('ipv6');
    expect(result.certain).toBe(false);
    expect(result.verdict.kind).toBe('uncertain');
    expect(result.unknowns.flatMap((u) => u.reasons)).toContain('uid of the sending process not given (--uid)');
    expect(result.sources.length).toBeGreaterThan(0);
  });

  it('reports a file that is not a rule set with its line', async () => {
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, '*nat\n:OUTPUT ACCEPT [0:0]\nthis is not a rule\nCOMMIT\n');
    const r = await cli(['trace', '--direction', 'outbound', '--src', '198.18.0.1', '--dst', '198.18.0.2:80', '--rules', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error: ${bad}:3: "this is not a rule" is not a rule (-A CHAIN … or -I CHAIN [N] …) (MESHCAP_ERR_RULESET_SYNTAX)`);
  });
});

/** Runs the meshcap binary inside a host's namespace (execFile: nothing is written to its stdin). */
function meshcapIn(host: Host, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', host.netns, process.execPath, bin, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describeNetns('meshcap trace: the live rules of the current namespace', () => {
  let lab: Lab;
  let app: Host;

  beforeAll(async () => {
    lab = Lab.create('tracecli');
    app = await lab.host('app');
    const peer = await lab.host('peer');
    await lab.link(app, peer, { a: ['198.18.0.1/24', '2001:2::1/64'], b: ['198.18.0.2/24', '2001:2::2/64'] });
    await installTransparentProxy(parseTransparentProxyConfig({ excludeOutboundPorts: [5432] }), { netns: app.netns });
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  it('reads iptables-save, the addresses and the route from the namespace it runs in', async () => {
    const r = await meshcapIn(app, ['trace', '--direction', 'outbound', '--src', '198.18.0.1', '--dst', '198.18.0.2:5432', '--uid', '1000', '-o', 'json']);
    expect(r.stderr).toBe('');
    const result = JSON.parse(r.stdout) as TraceResult & { notes: string[] };
    expect(result.verdict).toEqual({ kind: 'accepted', delivery: 'sent', address: '198.18.0.2', port: 5432, iface: 'eth0' });
    expect(result.decidedBy).toMatchObject({ kind: 'rule', rule: { table: 'nat', chain: 'KUMA_MESH_OUTBOUND', ours: true, text: expect.stringContaining('--dport 5432') } });
    expect(result.notes).toEqual(['--out-iface eth0: from `ip route get 198.18.0.2`']);
  });

  it('outbound without --src takes the source the kernel picks (`ip route get` → src), as the README example does', async () => {
    const r = await meshcapIn(app, ['trace', '--direction', 'outbound', '--dst', '198.18.0.2:8080', '--uid', '1000', '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as TraceResult & { notes: string[]; packet?: { src?: string } };
    expect(result.verdict).toMatchObject({ kind: 'captured', port: 15001 });
    expect(result.notes).toEqual(['--src 198.18.0.1: from `ip route get 198.18.0.2`', '--out-iface eth0: from `ip route get 198.18.0.2`']);
    const v6 = await cli(['trace', '--netns', app.netns, '--direction', 'outbound', '--dst', '[2001:2::2]:8080', '--uid', '1000']);
    expect(v6.err).toBe('');
    expect(v6.out).toMatch(/^note: --src 2001:2::1: from `ip route get 2001:2::2`$/m);
  });

  it('outbound without --src and without a route is a coded error that says to pass --src', async () => {
    const r = await cli(['trace', '--netns', app.netns, '--direction', 'outbound', '--dst', '198.19.0.1:80']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error: no route to 198.19.0.1 in namespace ${app.netns} (\`ip route get 198.19.0.1\` gives no source address): pass --src (MESHCAP_ERR_NO_ROUTE)`);
  });

  it('--netns reads another namespace, and inbound IPv6 is captured to 15006', async () => {
    const r = await cli(['trace', '--netns', app.netns, '--direction', 'inbound', '--src', '2001:2::2', '--dst', '[2001:2::1]:8080', '--in-iface', 'eth0']);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^verdict: captured to port 15006 via REDIRECT \(\[2001:2::1\]:15006\)$/m);
    expect(r.out).toMatch(/^ {2}✔ ip6 nat KUMA_MESH_INBOUND_REDIRECT|^ {2}✔ nat KUMA_MESH_INBOUND_REDIRECT/m);
  });
});
