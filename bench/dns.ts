// The DNS part of `npm run bench`: queries/s through the dataplane's DNS proxy (15053, reached
// through `install transparent-proxy --redirect-dns`) against querying the upstream resolver
// directly, same namespaces, same dnsperf load.
//
// Two namespaces joined by a veth: `client` runs dnsperf (from Debian) and, for the meshcap rows,
// the capture rules and `meshcap dp` (as root, so it runs as UID 5678); `resolver` runs dnsmasq
// answering every `*.outside.test` itself (no upstream of its own). dnsperf always asks the
// resolver's address; with the capture on, the kernel hands its queries to the DNS proxy, which
// forwards them to dnsmasq (or answers from its cache, or from its mesh table for `backend.mesh`).
// The dataplane runs from an Envoy bootstrap holding what the control plane renders for a
// transparent dataplane whose mesh has `backend` at VIP 240.0.0.1 (the same `kuma:dns` listener).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installTransparentProxy, parseResources, parseTransparentProxyConfig, PolicyCompiler, uninstallTransparentProxy, xdsResourcesOf } from '@meshcap/core';
import { Lab, netnsSupport, type Host } from '@meshcap/testkit';
import { median, runIn } from './host-run.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** Queries dnsperf keeps outstanding (below the proxy's max_pending_lookups, 256). */
const OUTSTANDING = Number(process.env.BENCH_DNS_OUTSTANDING ?? 64);
const CLIENT = '198.18.16.1';
const RESOLVER = '198.18.16.2';
const ANSWER = '198.18.17.1';
const VIP = '240.0.0.1';
const meshcapBin = fileURLToPath(new URL('../apps/api/bin/meshcap.js', import.meta.url));
const DNSMASQ = ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq'].find((p) => existsSync(p));

function say(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

function run(host: Host, argv: string[], timeoutMs = (SECONDS + 30) * 1000): Promise<string> {
  return runIn(host, argv, timeoutMs);
}


interface Perf {
  qps: number;
  lostPct: number;
}

/** dnsperf against the resolver's address for SECONDS; `once`: each query of the file at most once (no repeats, so no cache hits). */
async function dnsperf(client: Host, data: string, once: boolean): Promise<Perf> {
  const args = ['dnsperf', '-s', RESOLVER, '-d', data, '-l', String(SECONDS), '-q', String(OUTSTANDING), '-c', '4', '-t', '2', ...(once ? ['-n', '1'] : [])];
  const out = await run(client, args);
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(out)?.[1]);
  const lost = /Queries lost:\s+\d+ \(([\d.]+)%\)/.exec(out);
  return { qps, lostPct: Number(lost?.[1] ?? 0) };
}

async function measure(client: Host, data: string, once: boolean): Promise<Perf> {
  const runs: Perf[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await dnsperf(client, data, once));
  return { qps: median(runs.map((r) => r.qps)), lostPct: median(runs.map((r) => r.lostPct)) };
}

/** A transparent dataplane's resources as the control plane renders them, as an Envoy bootstrap for `meshcap dp --bootstrap`. */
function bootstrap(): string {
  const pc = new PolicyCompiler({ vips: [{ mesh: 'default', service: 'backend', address: VIP }] });
  pc.applyAll(
    parseResources(`type: Dataplane
mesh: default
name: bench-dns
networking:
  address: ${CLIENT}
  transparentProxying: { ipFamilyMode: IPv4 }
---
type: Dataplane
mesh: default
name: backend
networking:
  address: 198.18.16.3
  inbound:
    - port: 8080
      tags: { kuma.io/service: backend }
`),
  );
  const set = xdsResourcesOf(pc.compile('default', 'bench-dns'), { endpoints: 'static' });
  return JSON.stringify({ node: { id: 'default.bench-dns' }, static_resources: { listeners: set.listeners, clusters: set.clusters } });
}

const fmt = (n: number | undefined): string => (n === undefined || Number.isNaN(n) ? '—' : Math.round(n).toLocaleString('en-US'));
const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || !b ? '—' : (a / b).toFixed(2));

export async function benchDns(): Promise<string> {
  const support = netnsSupport();
  if (!support.ok) throw new Error(`cannot run: ${support.reason}`);
  if (!DNSMASQ) throw new Error('dnsmasq is not installed (dnsmasq-base; scripts/setup.sh installs it)');
  const work = mkdtempSync(join(tmpdir(), 'meshcap-bench-dns-'));
  chmodSync(work, 0o755);
  const lab = Lab.create('bench-dns');
  let etc: string | undefined;
  try {
    const client = await lab.host('client');
    const resolver = await lab.host('resolver');
    await lab.link(client, resolver, { a: [`${CLIENT}/24`], b: [`${RESOLVER}/24`] });
    resolver.spawn(DNSMASQ, ['--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--bind-interfaces', `--listen-address=${RESOLVER}`, '--user=root', `--address=/outside.test/${ANSWER}`, '--dns-forward-max=1000', '--local-ttl=300']);
    for (let i = 0; ; i++) {
      const ok = await run(resolver, ['dig', '+short', '+time=1', '+tries=1', `@${RESOLVER}`, 'www.outside.test']).catch(() => '');
      if (ok.trim() === ANSWER) break;
      if (i > 50) throw new Error('dnsmasq did not answer');
      await new Promise((r) => setTimeout(r, 100));
    }
    etc = join('/etc/netns', client.netns);
    mkdirSync(etc, { recursive: true });
    writeFileSync(join(etc, 'resolv.conf'), `nameserver ${RESOLVER}\n`);
    const file = (name: string, text: string): string => {
      const path = join(work, name);
      writeFileSync(path, text, { mode: 0o644 });
      return path;
    };
    const same = file('same.txt', 'www.outside.test A\n');
    const distinct = file('distinct.txt', Array.from({ length: 1_000_000 }, (_, i) => `q${i}.outside.test A\n`).join(''));
    const mesh = file('mesh.txt', 'backend.mesh A\n');
    say(`DNS: namespaces ${client.netns} and ${resolver.netns}; ${RUNS} runs × ${SECONDS}s each, dnsperf -c4 -q${OUTSTANDING}`);

    say('DNS direct…');
    const direct = { same: await measure(client, same, false), distinct: await measure(client, distinct, true) };

    await installTransparentProxy(parseTransparentProxyConfig({ ipFamilyMode: 'ipv4', redirectDns: true, resolvConfPath: join(etc, 'resolv.conf') }), { netns: client.netns });
    say('DNS meshcap…');
    const dp = client.spawn(process.execPath, [meshcapBin, 'dp', '--bootstrap', file('bootstrap.json', bootstrap()), '--drain-time', '1s']);
    await dp.waitForLine(/^meshcap dp: ready$/, 60_000);
    const answer = (await run(client, ['dig', '+short', '+time=2', '+tries=1', `@${RESOLVER}`, 'backend.mesh'])).trim();
    if (answer !== VIP) throw new Error(`backend.mesh through the capture answered "${answer}", not ${VIP}`);
    const meshcap = { same: await measure(client, same, false), distinct: await measure(client, distinct, true), mesh: await measure(client, mesh, false) };
    const stats = await run(client, ['curl', '-sS', 'http://127.0.0.1:9901/stats?filter=dns_filter']);
    await dp.stop('SIGTERM', 5_000);
    await uninstallTransparentProxy(undefined, { netns: client.netns });

    const rows: Array<[string, Perf | undefined, Perf]> = [
      ['one outside name again and again (the proxy answers from its cache)', direct.same, meshcap.same],
      ['a new outside name each query (every one forwarded)', direct.distinct, meshcap.distinct],
      ['backend.mesh (the proxy answers from its table; dnsmasq does not know it)', undefined, meshcap.mesh],
    ];
    const lines = [
      '| DNS queries/s (dnsperf, UDP) | direct to dnsmasq | through meshcap dp | meshcap/direct | lost % (direct / meshcap) |',
      '|---|---:|---:|---:|---:|',
      ...rows.map(([label, d, m]) => `| ${label} | ${fmt(d?.qps)} | ${fmt(m.qps)} | ${ratio(m.qps, d?.qps)} | ${d ? d.lostPct.toFixed(2) : '—'} / ${m.lostPct.toFixed(2)} |`),
    ];
    const counters = stats
      .trim()
      .split('\n')
      .filter((l) => /(queries_dropped|unanswered_queries|cache_hits|external_queries): /.test(l))
      .join('; ');
    return `${lines.join('\n')}\n\nThrough meshcap the query is captured (REDIRECT to 15053) and, when not answered locally, forwarded by the dataplane to dnsmasq. DNS proxy counters: ${counters}\n`;
  } finally {
    await lab.destroy();
    if (etc) rmSync(etc, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}
