import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNetns, Lab, type Host, type HostProcess } from '@meshcap/testkit';
import { dataplaneYaml, resourcesYaml } from '../testing.ts';
import { curl, eventually, hostRun, installDefaultCapture, ruleCounter, startDp, startHttpApp, startTcpApp, tcpProbe, type RunningDp } from './testing/lab.ts';

// Transparent mode next to the default `meshcap install transparent-proxy` (REDIRECT to 15006 and
// 15001, UID 5678 excluded) in both namespaces. Each dataplane runs the way `meshcap dp` does when
// started as root: as the proxy user with CAP_NET_ADMIN.
const SERVER = '198.18.2.10';
const CLIENT = '198.18.2.1';
const SERVER6 = '2001:2:0:2::10';
const CLIENT6 = '2001:2:0:2::1';

const backendYaml = dataplaneYaml({
  mesh: 'default',
  name: 'backend',
  address: SERVER,
  inbound: [
    { port: 5000, service: 'backend', protocol: 'http' },
    { port: 6000, service: 'echo' },
  ],
  transparentProxying: { redirectPortInbound: 15006, redirectPortOutbound: 15001 },
});

const webYaml = resourcesYaml(
  dataplaneYaml({ mesh: 'default', name: 'web', address: CLIENT, outbound: [{ port: 5000, address: SERVER, service: 'backend' }], transparentProxying: { redirectPortInbound: 15006, redirectPortOutbound: 15001 } }),
  backendYaml,
);

describeNetns('dataplane, transparent mode (REDIRECT capture on both sides)', () => {
  let lab: Lab;
  let client: Host;
  let server: Host;
  let backend: RunningDp;
  let web: RunningDp;
  let httpApp: HostProcess;
  let passthroughApp: HostProcess;

  beforeAll(async () => {
    lab = Lab.create('dp-transp');
    client = await lab.host('client');
    server = await lab.host('server');
    await lab.link(client, server, { a: [`${CLIENT}/24`, `${CLIENT6}/64`], b: [`${SERVER}/24`, `${SERVER6}/64`] });
    await Promise.all([installDefaultCapture(client), installDefaultCapture(server)]);
    [httpApp, , passthroughApp] = await Promise.all([startHttpApp(server, 5000), startTcpApp(server, 6000, 'echo'), startTcpApp(server, 7000, 'echo')]);
    [backend, web] = await Promise.all([startDp(server, backendYaml), startDp(client, webYaml, { name: 'web' })]);
  }, 90_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  it('runs as the proxy user, listening on 15006 and 15001 for IPv4 and IPv6', async () => {
    expect(backend.uid).toBe(5678);
    const listeners = await backend.admin('/listeners');
    expect(listeners).toContain('inbound:passthrough:ipv4::0.0.0.0:15006\n');
    expect(listeners).toContain('inbound:passthrough:ipv6::[::]:15006\n');
    expect(listeners).toContain('outbound:passthrough:ipv4::0.0.0.0:15001\n');
    expect(listeners).toContain('outbound:passthrough:ipv6::[::]:15001\n');
    expect(listeners).toContain(`inbound:${SERVER}:5000::${SERVER}:5000\n`);
  });

  it('captures curl on the client (outbound listener of the declared service) and the server (inbound listener)', async () => {
    const body = JSON.parse(await curl(client, ['-H', 'x-request-id: transparent-1', `http://${SERVER}:5000/path`]));
    // The app is reached from 127.0.0.6: the server dataplane's inbound source, excluded from capture.
    expect(body).toMatchObject({ path: '/path', remoteAddress: '::ffff:127.0.0.6', localPort: 5000 });
    const out = await eventually(async () => (await web.flows()).find((f) => f.http?.requestId === 'transparent-1'), 'client flow');
    expect(out).toMatchObject({
      direction: 'outbound',
      listener: `outbound:${SERVER}:5000`,
      cluster: 'backend',
      capture: 'redirect',
      protocol: 'http',
      destination: { address: SERVER, port: 5000 },
      upstream: { address: SERVER, port: 5000 },
      verdict: 'forwarded',
      http: { status: 200, method: 'GET', path: '/path' },
    });
    const inbound = await eventually(async () => (await backend.flows()).find((f) => f.http?.requestId === 'transparent-1'), 'server flow');
    expect(inbound).toMatchObject({
      direction: 'inbound',
      listener: `inbound:${SERVER}:5000`,
      cluster: 'localhost:5000',
      capture: 'redirect',
      client: { address: CLIENT },
      destination: { address: SERVER, port: 5000 },
      upstream: { address: '127.0.0.1', port: 5000 },
    });
  });

  it('captures raw TCP to an undeclared destination through the outbound passthrough', async () => {
    const result = await tcpProbe(client, SERVER, 6000, 'send', ['--send', 'raw-tcp']);
    expect(result).toMatchObject({ data: 'raw-tcp', ended: true });
    const out = await eventually(async () => (await web.flows()).find((f) => f.destination.port === 6000), 'client flow');
    expect(out).toMatchObject({ listener: 'outbound:passthrough:ipv4', cluster: 'outbound:passthrough:ipv4', capture: 'redirect', protocol: 'tcp', destination: { address: SERVER, port: 6000 }, upstream: { address: SERVER, port: 6000 }, bytes: { fromClient: 7, toClient: 7 } });
    const inbound = await eventually(async () => (await backend.flows()).find((f) => f.destination.port === 6000), 'server flow');
    expect(inbound).toMatchObject({ listener: `inbound:${SERVER}:6000`, cluster: 'localhost:6000', capture: 'redirect' });
  });

  it('sends an undeclared inbound port through the inbound passthrough, from 127.0.0.6', async () => {
    const result = await tcpProbe(client, SERVER, 7000, 'send', ['--send', 'passthrough']);
    expect(result.data).toBe('passthrough');
    const inbound = await eventually(async () => (await backend.flows()).find((f) => f.destination.port === 7000), 'server flow');
    expect(inbound).toMatchObject({ listener: 'inbound:passthrough:ipv4', cluster: 'inbound:passthrough:ipv4', upstream: { address: SERVER, port: 7000 } });
    const seen = JSON.parse(await passthroughApp.waitForLine(/"connection"/));
    expect(seen.remoteAddress).toBe('::ffff:127.0.0.6');
  });

  it('captures IPv6 both ways (outbound passthrough v6, inbound v6 from ::6)', async () => {
    const body = JSON.parse(await curl(client, ['-g', '-H', 'x-request-id: v6-1', `http://[${SERVER6}]:5000/six`]));
    expect(body).toMatchObject({ path: '/six', headers: { 'x-request-id': 'v6-1' } });
    const out = await eventually(async () => (await web.flows()).find((f) => f.destination.address === SERVER6 && f.destination.port === 5000), 'client v6 flow');
    expect(out).toMatchObject({ listener: 'outbound:passthrough:ipv6', capture: 'redirect', upstream: { address: SERVER6, port: 5000 } });
    const inbound = await eventually(async () => (await backend.flows()).find((f) => f.destination.address === SERVER6), 'server v6 flow');
    // Same inbound (declared by port), reached over IPv6 from the client's IPv6 address.
    expect(inbound).toMatchObject({ listener: `inbound:${SERVER}:5000`, client: { address: CLIENT6 } });

    const raw = await tcpProbe(client, SERVER6, 7000, 'send', ['--send', 'six-raw']);
    expect(raw.data).toBe('six-raw');
    const pass6 = await eventually(async () => (await backend.flows()).find((f) => f.listener === 'inbound:passthrough:ipv6'), 'server v6 passthrough flow');
    expect(pass6).toMatchObject({ destination: { address: SERVER6, port: 7000 }, upstream: { address: SERVER6, port: 7000 } });
    const seen = passthroughApp.jsonLines<{ event: string; remoteAddress: string }>().filter((l) => l.event === 'connection').map((l) => l.remoteAddress);
    expect(seen).toContain('::6');
  });

  it('never captures its own upstream connections again (counters prove it)', async () => {
    const saveBefore = (await hostRun(client, 'iptables-save', ['-c', '-t', 'nat'])).stdout;
    const statsBefore = await web.stats();
    const n = 4;
    for (let i = 0; i < n; i++) expect((await tcpProbe(client, SERVER, 6000, 'send', ['--send', `n${i}`])).data).toBe(`n${i}`);
    await eventually(async () => (await web.stats())['cluster.outbound_passthrough_ipv4.upstream_cx_active'] === 0, 'connections closed');
    const saveAfter = (await hostRun(client, 'iptables-save', ['-c', '-t', 'nat'])).stdout;
    const statsAfter = await web.stats();
    const redirect = /-A KUMA_MESH_OUTBOUND_REDIRECT .*REDIRECT --to-ports 15001/;
    const proxyUser = /-A KUMA_MESH_OUTBOUND -m owner --uid-owner 5678 .*-j RETURN/;
    // Each app connection was redirected once; each proxy connection went out untouched.
    expect(ruleCounter(saveAfter, redirect) - ruleCounter(saveBefore, redirect)).toBe(n);
    expect(ruleCounter(saveAfter, proxyUser) - ruleCounter(saveBefore, proxyUser)).toBe(n);
    const delta = (name: string): number => (statsAfter[name] ?? 0) - (statsBefore[name] ?? 0);
    expect(delta('listener.outbound_passthrough_ipv4.downstream_cx_total')).toBe(n);
    expect(delta('cluster.outbound_passthrough_ipv4.upstream_cx_total')).toBe(n);
    expect(statsAfter['listener.outbound_passthrough_ipv4.downstream_cx_redirect_loop']).toBe(0);
  });

  it('answers 503 for a captured HTTP service whose port refuses, RST for TCP', async () => {
    await httpApp.stop();
    const out = await curl(client, ['-w', '\n%{http_code}', `http://${SERVER}:5000/`]);
    expect(out.endsWith('\n503')).toBe(true);
    const inbound = await eventually(async () => (await backend.flows()).find((f) => f.reason === 'upstream_connect_refused'), 'refused flow');
    expect(inbound).toMatchObject({ listener: `inbound:${SERVER}:5000`, verdict: 'error', http: { status: 503 } });
    const tcp = await tcpProbe(client, SERVER, 7999, 'send', ['--send', 'x']);
    expect(tcp.error).toBe('ECONNRESET');
  });
});

describeNetns('dataplane, transparent mode started as plain root (no proxy user)', () => {
  let lab: Lab;
  let host: Host;

  afterAll(async () => {
    await lab?.destroy();
  });

  it('refuses its own upstream connection when it comes back through capture, instead of looping', async () => {
    lab = Lab.create('dp-loop');
    host = await lab.host('alone');
    // A routed (non-local) destination, so connections to it leave through OUTPUT and are captured.
    const link = await hostRun(host, 'sh', ['-ec', 'ip link add v0 type veth peer name v1 && ip addr add 198.18.4.1/24 dev v0 && ip link set v1 up && ip link set v0 up']);
    expect(link.stderr).toBe('');
    await installDefaultCapture(host, { ipFamilyMode: 'ipv4' });
    const dp = await startDp(
      host,
      `
type: Dataplane
name: alone
networking:
  address: 198.18.4.1
  transparentProxying: { ipFamilyMode: IPv4 }
`,
      { as: 'root' },
    );
    expect(dp.uid).toBe(0);
    const result = await tcpProbe(host, '198.18.4.2', 7000, 'send', ['--send', 'x', '--timeout', '5000']);
    expect(result.error).toBe('ECONNRESET');
    const stats = await dp.stats();
    expect(stats['listener.outbound_passthrough_ipv4.downstream_cx_redirect_loop']).toBe(1);
    expect(stats['listener.outbound_passthrough_ipv4.downstream_cx_total']).toBe(2);
    const flows = await dp.flows();
    expect(flows.some((f) => f.reason === 'redirect_loop')).toBe(true);
  });
});
