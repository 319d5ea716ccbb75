import { installTransparentProxy, parseTransparentProxyConfig, type FlowRecord } from '@meshcap/core';
import { describeNetns, Lab, type Host } from '@meshcap/testkit';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { api, BACKEND_INBOUND, cpDir, transparentDataplaneYaml, eventually, startCp, startDataplanes, stopCp, type Cp } from './cp-process.ts';

/**
 * `.mesh` names and VIPs end to end, in real namespaces with capture and `--redirect-dns` on:
 * `meshcap cp` in the root namespace allocates the backend's VIP and renders the `kuma:dns` and VIP
 * listeners; the client's `meshcap dp` answers `backend.mesh` on 15053 and forwards other names to
 * the namespace's resolver (dnsmasq, in a third namespace); `curl http://backend.mesh/` goes to the
 * VIP, is captured to 15001 and reaches the backend.
 */

const CLIENT = '198.18.12.1';
const BACKEND = '198.18.12.2';
const CLIENT_R = '198.18.13.1';
const RESOLVER = '198.18.13.2';
const OUTSIDE = '198.18.14.50';
const DNSMASQ = ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq'].find((p) => existsSync(p));

const where = cpDir('meshcap-dns-netns-');

describeNetns('.mesh DNS and VIPs through capture with --redirect-dns (cp, two dataplanes, dnsmasq)', () => {
  let lab: Lab;
  let client: Host;
  let backend: Host;
  let resolver: Host;
  let cp: Cp;
  const netnsEtc: string[] = [];

  const inClient = (file: string, args: string[]) => client.run(file, args, { allowFail: true, timeoutMs: 20_000 });

  beforeAll(async () => {
    if (!DNSMASQ) throw new Error('dnsmasq is not installed (Debian package dnsmasq-base; scripts/setup.sh installs it)');
    cp = await startCp(where);
    lab = Lab.create('dns-vip');
    client = await lab.host('client');
    backend = await lab.host('backend');
    resolver = await lab.host('resolver');
    await lab.link(client, backend, { a: [`${CLIENT}/24`], b: [`${BACKEND}/24`] });
    await lab.link(client, resolver, { a: [`${CLIENT_R}/24`], b: [`${RESOLVER}/24`] });
    // A VIP needs a route for connect() to get as far as the capture rules (as any cluster network gives).
    await client.run('ip', ['route', 'add', 'default', 'via', BACKEND]);
    // The client's resolv.conf (ip netns exec bind-mounts /etc/netns/<ns>/resolv.conf): the resolver namespace.
    const etc = join('/etc/netns', client.netns);
    mkdirSync(etc, { recursive: true });
    netnsEtc.push(etc);
    writeFileSync(join(etc, 'resolv.conf'), `nameserver ${RESOLVER}\noptions timeout:2 attempts:1\n`);
    resolver.spawn(DNSMASQ, [
      '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--bind-interfaces', `--listen-address=${RESOLVER}`,
      '--user=root', '--log-queries', '--log-facility=-', `--address=/outside.test/${OUTSIDE}`, '--local=/test/',
    ]);
    await eventually(async () => ((await resolver.run('dig', ['+short', '+time=1', '+tries=1', `@${RESOLVER}`, 'outside.test'], { allowFail: true })).stdout.trim() === OUTSIDE ? true : undefined), 'dnsmasq', 15_000);
    await installTransparentProxy(parseTransparentProxyConfig({ redirectDns: true, resolvConfPath: join(etc, 'resolv.conf') }), { netns: client.netns });
    await installTransparentProxy(parseTransparentProxyConfig({}), { netns: backend.netns });
    const app = backend.spawn(process.execPath, ['-e', `require('http').createServer((q,s)=>s.end('backend says hi')).listen(5000,()=>console.log('listening'))`]);
    await app.waitForLine(/listening/);
    await startDataplanes(cp, where, [
      { name: 'backend', host: backend, yaml: transparentDataplaneYaml({ name: 'backend', address: BACKEND, inbound: BACKEND_INBOUND }) },
      { name: 'web', host: client, yaml: transparentDataplaneYaml({ name: 'web', address: CLIENT }) },
    ]);
  }, 120_000);

  afterAll(async () => {
    await lab?.destroy();
    await stopCp(cp);
    for (const d of netnsEtc) rmSync(d, { recursive: true, force: true });
    rmSync(where.dir, { recursive: true, force: true });
  });

  /** The backend's VIP, once the client's dataplane runs a config that has it (its admin's config_dump). */
  const vipOf = async (): Promise<string> =>
    eventually(async () => {
      const dump = (await inClient('curl', ['-sS', '--max-time', '5', 'http://127.0.0.1:9901/config_dump'])).stdout;
      return /"outbound:(240\.\d+\.\d+\.\d+):80"/.exec(dump)?.[1];
    }, "the backend's VIP listener in the client's config_dump");

  it('answers backend.mesh with the VIP the control plane allocated (getent, dig over UDP and TCP, through the capture)', async () => {
    const vip = await vipOf();
    expect(vip).toMatch(/^240\./);
    const v4 = await inClient('getent', ['ahostsv4', 'backend.mesh']);
    expect(v4.stdout.split(/\s+/)[0]).toBe(vip);
    // getent hosts asks AAAA first: the VIP's IPv4-mapped form, as Kuma answers it.
    const hosts = await inClient('getent', ['hosts', 'backend.mesh']);
    expect(hosts.stdout).toMatch(new RegExp(`^(::ffff:)?${vip.replaceAll('.', '\\.')}\\s+backend\\.mesh`));
    // dig names the resolver of resolv.conf; the capture sends UDP and TCP alike to the DNS proxy.
    expect((await inClient('dig', ['+short', '+time=2', '+tries=1', `@${RESOLVER}`, 'backend.mesh'])).stdout.trim()).toBe(vip);
    expect((await inClient('dig', ['+short', '+tcp', '+time=2', '+tries=1', `@${RESOLVER}`, 'backend.mesh'])).stdout.trim()).toBe(vip);
    const stats = (await inClient('curl', ['-sS', '--max-time', '5', 'http://127.0.0.1:9901/stats'])).stdout;
    expect(Number(/dns_filter\.kuma_dns\.known_domain_queries: (\d+)/.exec(stats)?.[1])).toBeGreaterThanOrEqual(4);
  });

  it('forwards other names to the resolver in the other namespace (dnsmasq), and passes its NXDOMAIN through', async () => {
    const outside = await inClient('getent', ['ahostsv4', 'outside.test']);
    expect(outside.stdout.split(/\s+/)[0]).toBe(OUTSIDE);
    const missing = await inClient('dig', ['+time=2', '+tries=1', `@${RESOLVER}`, 'nobody.test']);
    expect(missing.stdout).toMatch(/status: NXDOMAIN/);
    const stats = (await inClient('curl', ['-sS', '--max-time', '5', 'http://127.0.0.1:9901/stats'])).stdout;
    expect(Number(/dns_filter\.kuma_dns\.external_queries: (\d+)/.exec(stats)?.[1])).toBeGreaterThanOrEqual(2);
  });

  it('curl http://backend.mesh/ reaches the backend through the VIP listener (captured to 15001)', async () => {
    const vip = await vipOf();
    // No -4: curl takes whichever answer comes first; the AAAA (IPv4-mapped) is the same IPv4 connection.
    const r = await inClient('curl', ['-sS', '--max-time', '10', 'http://backend.mesh/']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('backend says hi');
    // The AAAA answer (the VIP's IPv4-mapped form) leads to the same listener from an IPv6 socket.
    const v6 = await inClient('curl', ['-sS', '--max-time', '10', '-6', '-w', ' %{remote_ip}', 'http://backend.mesh/']);
    expect(v6.stdout).toBe(`backend says hi ::ffff:${vip}`);
    const flows = await eventually(async () => {
      const list = JSON.parse((await inClient('curl', ['-sS', '--max-time', '5', 'http://127.0.0.1:9901/flows?limit=50'])).stdout) as { flows: FlowRecord[] };
      return list.flows.find((f) => f.listener === `outbound:${vip}:80`);
    }, 'the flow of the VIP listener');
    expect(flows).toMatchObject({ direction: 'outbound', capture: 'redirect', destination: { address: vip, port: 80 }, http: { status: 200 } });
  });

  it('a control plane restart keeps the VIP: the client keeps its config version and still resolves the same address', async () => {
    const vip = await vipOf();
    const before = (await api<{ items: Array<{ name: string; configVersion: string }> }>(cp, '/api/meshes/default/dataplanes')).items.find((d) => d.name === 'web')!;
    await stopCp(cp);
    cp = await startCp(where);
    const after = await eventually(async () => {
      const items = (await api<{ items: Array<{ name: string; connected: boolean; upToDate: boolean; configVersion: string }> }>(cp, '/api/meshes/default/dataplanes')).items;
      const web = items.find((d) => d.name === 'web');
      return web?.connected && web.upToDate ? web : undefined;
    }, 'the client reconnected and up to date');
    expect(after.configVersion).toBe(before.configVersion);
    expect((await inClient('getent', ['ahostsv4', 'backend.mesh'])).stdout.split(/\s+/)[0]).toBe(vip);
  });
});
