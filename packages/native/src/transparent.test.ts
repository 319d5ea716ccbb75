import { afterAll, beforeAll, expect, it } from 'vitest';
import { agentPath, describeNetns, Lab, type Host, type HostProcess } from '@meshcap/testkit';
import { connectAndMatch, startListener } from '../test-agents/harness.ts';

// client 198.18.2.1 / 2001:2:0:2::1 ── proxy 198.18.2.10 / 2001:2:0:2::10 | 198.18.4.10 ── upstream 198.18.4.1
// The client routes 198.18.9.0/24 and 2001:2:0:9::/64 (addresses no host has) to the proxy, whose
// mangle PREROUTING TPROXY rules divert them to transparent listeners; fwmark 0x1 and a `local`
// route in table 100 make the kernel deliver them locally (the recipe Kuma, Istio and Kong use).
describeNetns('transparent listeners under TPROXY', () => {
  let lab: Lab;
  let client: Host;
  let proxy: Host;
  let upstream: Host;
  let v4: HostProcess;
  let v6: HostProcess;
  let dualStack: HostProcess;
  let relay: HostProcess;
  let upstreamServer: HostProcess;

  beforeAll(async () => {
    lab = Lab.create('tproxy');
    [client, proxy, upstream] = await Promise.all([lab.host('client'), lab.host('proxy'), lab.host('upstream')]);
    await lab.link(client, proxy, { a: ['198.18.2.1/24', '2001:2:0:2::1/64'], b: ['198.18.2.10/24', '2001:2:0:2::10/64'] });
    await lab.link(proxy, upstream, { a: ['198.18.4.10/24'], b: ['198.18.4.1/24'] });
    await client.sh(`
      ip route add 198.18.9.0/24 via 198.18.2.10
      ip -6 route add 2001:2:0:9::/64 via 2001:2:0:2::10
    `);
    await upstream.sh('ip route add 198.18.2.0/24 via 198.18.4.10');
    await proxy.sh(`
      iptables -t mangle -A PREROUTING -p tcp -m socket --transparent -j MARK --set-mark 0x1/0x1
      iptables -t mangle -A PREROUTING -p tcp -d 198.18.9.0/24 --dport 9080 -j TPROXY --on-port 15006 --tproxy-mark 0x1/0x1
      iptables -t mangle -A PREROUTING -p tcp -d 198.18.9.0/24 --dport 9081 -j TPROXY --on-port 15007 --tproxy-mark 0x1/0x1
      iptables -t mangle -A PREROUTING -p tcp -d 198.18.9.0/24 --dport 9082 -j TPROXY --on-port 15008 --tproxy-mark 0x1/0x1
      ip rule add fwmark 0x1/0x1 lookup 100
      ip route add local 0.0.0.0/0 dev lo table 100
      ip6tables -t mangle -A PREROUTING -p tcp -d 2001:2:0:9::/64 --dport 9080 -j TPROXY --on-port 15016 --tproxy-mark 0x1/0x1
      ip -6 rule add fwmark 0x1/0x1 lookup 100
      ip -6 route add local ::/0 dev lo table 100
    `);
    [v4, v6, dualStack, relay, upstreamServer] = await Promise.all([
      startListener(proxy, 'transparent-server', ['--host', '0.0.0.0', '--port', '15006']),
      startListener(proxy, 'transparent-server', ['--host', '::', '--port', '15016', '--ipv6-only']),
      startListener(proxy, 'transparent-server', ['--host', '::', '--port', '15007']),
      startListener(proxy, 'transparent-server', [
        ...['--host', '0.0.0.0', '--port', '15008'],
        ...['--upstream-host', '198.18.4.1', '--upstream-port', '9080', '--upstream-mark', '0x2'],
      ]),
      upstream.spawnNode(agentPath('tcp-listen'), ['--port', '9080', '--reply', 'from-upstream']),
    ]);
    await upstreamServer.waitForLine(/listening/);
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  it('accepts an IPv4 connection to a non-local address; its local address is that destination', async () => {
    const { accepted, client: lines } = await connectAndMatch(client, '198.18.9.9', 9080, v4);
    expect(accepted).toMatchObject({ localAddress: '198.18.9.9', localPort: 9080, remoteAddress: '198.18.2.1' });
    expect(lines).toContainEqual({ event: 'reply', data: 'transparent' });
  });

  it('reports ENOENT from originalDestination under TPROXY (no NAT: the local address is the answer)', async () => {
    const { accepted } = await connectAndMatch(client, '198.18.9.77', 9080, v4);
    expect(accepted).toMatchObject({ localAddress: '198.18.9.77', originalDestinationCode: 'ENOENT' });
  });

  it('accepts an IPv6 connection to a non-local address on an IPV6_TRANSPARENT listener', async () => {
    const { accepted, client: lines } = await connectAndMatch(client, '2001:2:0:9::9', 9080, v6);
    expect(accepted).toMatchObject({ localAddress: '2001:2:0:9::9', localPort: 9080, remoteAddress: '2001:2:0:2::1' });
    expect(lines).toContainEqual({ event: 'reply', data: 'transparent' });
  });

  it('accepts TPROXY-diverted IPv4 on a dual-stack :: transparent listener (v4-mapped local address)', async () => {
    const { accepted } = await connectAndMatch(client, '198.18.9.9', 9081, dualStack);
    expect(accepted).toMatchObject({ localAddress: '::ffff:198.18.9.9', localPort: 9081, remoteAddress: '::ffff:198.18.2.1' });
  });

  it("relays upstream from the client's own address with a transparent, marked outgoing socket", async () => {
    const { accepted, client: lines } = await connectAndMatch(client, '198.18.9.9', 9082, relay);
    expect(accepted).toMatchObject({ localAddress: '198.18.9.9', localPort: 9082, remoteAddress: '198.18.2.1' });
    expect(lines).toContainEqual({ event: 'reply', data: 'from-upstream' });
    const up = JSON.parse(await relay.waitForLine(/"event":"upstream"/)) as Record<string, unknown>;
    expect(up).toMatchObject({ localAddress: '198.18.2.1', mark: 2 });
    // The upstream saw the client's address as the source, not the proxy's.
    const seen = JSON.parse(await upstreamServer.waitForLine(/"event":"connection"/)) as Record<string, unknown>;
    expect(seen).toMatchObject({ remoteAddress: '::ffff:198.18.2.1', remotePort: up.localPort, data: 'hello' });
  });
});
