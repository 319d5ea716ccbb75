import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { agentPath, describeNetns, forwardUnixToTcp, Lab, routedNetwork, type RoutedNetwork } from './index.ts';

describeNetns('testkit: hosts on routed subnets behind one router, and a Unix socket forward', () => {
  let lab: Lab;
  let net3: RoutedNetwork;

  beforeAll(async () => {
    lab = Lab.create('routed');
    net3 = await routedNetwork(lab, [{ label: 'cp', addresses: 2 }, 'east', 'west'], { firstSubnet: 200 });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('gives each host its own subnet and routes between them through the router only', async () => {
    const { cp, east, west } = net3.hosts;
    expect(cp!.addresses).toEqual(['198.18.200.10', '198.18.200.11']);
    expect(east!.subnet).toBe('198.18.201.0/24');
    // One hop: the router decrements the TTL, so a TTL of 1 does not get across.
    expect((await east!.host.run('ping', ['-c1', '-W2', west!.addresses[0]!], { allowFail: true })).code).toBe(0);
    expect((await east!.host.run('ping', ['-c1', '-W2', '-t', '1', west!.addresses[0]!], { allowFail: true })).code).not.toBe(0);
    expect((await west!.host.run('ping', ['-c1', '-W2', cp!.addresses[1]!], { allowFail: true })).code).toBe(0);
    const route = (await east!.host.run('ip', ['route', 'get', west!.addresses[0]!])).stdout;
    expect(route).toContain('via 198.18.201.1');
  });

  it('resolves a host name to the addresses given to that host only', async () => {
    const { cp, east, west } = net3.hosts;
    east!.host.addHosts(cp!.addresses.map((a) => `${a} cp.mesh.test`));
    const got = (await east!.host.run('getent', ['ahostsv4', 'cp.mesh.test'])).stdout;
    for (const a of cp!.addresses) expect(got).toContain(a);
    expect((await west!.host.run('getent', ['hosts', 'cp.mesh.test'], { allowFail: true })).code).not.toBe(0);
  });

  it('carries a TCP exchange across the router', async () => {
    const { east, west } = net3.hosts;
    const server = west!.host.spawn(process.execPath, [agentPath('tcp-listen'), '--port', '7000', '--host', west!.addresses[0]!, '--reply', 'pong']);
    await server.waitForLine(/listening/);
    const out = (await east!.host.run(process.execPath, [agentPath('tcp-connect'), '--host', west!.addresses[0]!, '--port', '7000', '--send', 'ping'])).stdout;
    expect(out).toContain('"data":"pong"');
  });

  it('reaches a root-namespace loopback service from a host through a Unix socket', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    const fwd = await forwardUnixToTcp({ host: '127.0.0.1', port: (echo.address() as net.AddressInfo).port }, 'echo.sock');
    try {
      const script = `const s=require('net').connect(${JSON.stringify(fwd.path)});s.on('connect',()=>s.end('through'));s.on('data',d=>process.stdout.write(d))`;
      expect((await net3.hosts.east!.host.run(process.execPath, ['-e', script])).stdout).toBe('through');
      expect(fwd.connections).toBe(1);
    } finally {
      await fwd.close();
      await new Promise((r) => echo.close(r));
    }
  });
});
