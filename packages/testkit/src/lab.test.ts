import { afterAll, beforeAll, expect, it } from 'vitest';
import { agentPath, describeNetns, Lab, listNamespaces, type Host } from './index.ts';

describeNetns('testkit: namespaces, veth and a real REDIRECT', () => {
  let lab: Lab;
  let client: Host;
  let server: Host;
  let before: string[];

  beforeAll(async () => {
    before = listNamespaces();
    lab = Lab.create('kit');
    client = await lab.host('client');
    server = await lab.host('server');
    await lab.link(client, server, { a: ['198.18.0.1/24', '2001:2::1/64'], b: ['198.18.0.10/24', '2001:2::10/64'] });
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('joins two hosts with addresses from the benchmarking ranges', async () => {
    const ping = await client.run('ping', ['-c1', '-W2', '198.18.0.10'], { allowFail: true });
    expect(ping.code).toBe(0);
    const addrs = (await server.run('ip', ['-o', 'addr', 'show', 'dev', 'eth0'])).stdout;
    expect(addrs).toContain('198.18.0.10/24');
    expect(addrs).toContain('2001:2::10/64');
  });

  it('sends a connection for 198.18.0.10:5000 to the listener on 15001 via iptables REDIRECT', async () => {
    const real = server.spawnNode(agentPath('tcp-listen'), ['--port', '5000', '--reply', 'real-server']);
    const capture = client.spawnNode(agentPath('tcp-listen'), ['--port', '15001', '--reply', 'captured']);
    await Promise.all([real.waitForLine(/listening/), capture.waitForLine(/listening/)]);
    await client.run('iptables', ['-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '-d', '198.18.0.10', '--dport', '5000', '-j', 'REDIRECT', '--to-ports', '15001']);

    const conn = client.spawnNode(agentPath('tcp-connect'), ['--host', '198.18.0.10', '--port', '5000', '--send', 'hello']);
    const reply = JSON.parse(await conn.waitForLine(/"reply"/));
    expect(reply.data).toBe('captured');
    const seen = JSON.parse(await capture.waitForLine(/"connection"/));
    expect(seen).toMatchObject({ localPort: 15001, data: 'hello' });
    expect(real.lines.some((l) => l.includes('"connection"'))).toBe(false);

    const counters = (await client.run('iptables-save', ['-c', '-t', 'nat'])).stdout;
    expect(counters).toMatch(/\[[1-9]\d*:\d+\] -A OUTPUT .*REDIRECT --to-ports 15001/);
  });

  it('removes every namespace it made', async () => {
    const mine = listNamespaces().filter((n) => n.startsWith(lab.id));
    expect(mine).toHaveLength(2);
    await lab.destroy();
    expect(listNamespaces().sort()).toEqual([...before].sort());
  });
});
