import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNetns, Lab, type Host, type HostProcess } from '@meshcap/testkit';
import { connectAndMatch, startListener } from '../test-agents/harness.ts';

// client 198.18.1.1 / 2001:2:0:1::1  <->  workload 198.18.1.10 / 2001:2:0:1::10
// In the workload: PREROUTING REDIRECTs (inbound capture) and OUTPUT REDIRECTs (outbound capture)
// to a dual-stack `::` listener on 15006 and an IPv4-only one on 15007.
describeNetns('originalDestination after iptables/ip6tables REDIRECT', () => {
  let lab: Lab;
  let client: Host;
  let workload: Host;
  let dualStack: HostProcess;
  let v4Only: HostProcess;

  beforeAll(async () => {
    lab = Lab.create('odst');
    client = await lab.host('client');
    workload = await lab.host('workload');
    await lab.link(client, workload, { a: ['198.18.1.1/24', '2001:2:0:1::1/64'], b: ['198.18.1.10/24', '2001:2:0:1::10/64'] });
    await workload.sh(`
      iptables -t nat -A PREROUTING -p tcp -d 198.18.1.10 --dport 5000 -j REDIRECT --to-ports 15006
      iptables -t nat -A PREROUTING -p tcp -d 198.18.1.10 --dport 5001 -j REDIRECT --to-ports 15007
      iptables -t nat -A OUTPUT -p tcp -d 198.18.1.1 --dport 7000 -j REDIRECT --to-ports 15006
      ip6tables -t nat -A PREROUTING -p tcp -d 2001:2:0:1::10 --dport 5000 -j REDIRECT --to-ports 15006
      ip6tables -t nat -A OUTPUT -p tcp -d 2001:2:0:1::1 --dport 7000 -j REDIRECT --to-ports 15006
    `);
    [dualStack, v4Only] = await Promise.all([
      startListener(workload, 'original-dst-server', ['--port', '15006']),
      startListener(workload, 'original-dst-server', ['--port', '15007', '--host', '0.0.0.0']),
    ]);
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  it('returns the IPv4 address and port the client dialled, as family 4, on a dual-stack :: listener', async () => {
    const { accepted, client: lines } = await connectAndMatch(client, '198.18.1.10', 5000, dualStack);
    // The accepted socket really is the dual-stack case: an AF_INET6 socket with v4-mapped addresses.
    expect(accepted).toMatchObject({ localAddress: '::ffff:198.18.1.10', localPort: 15006 });
    expect(accepted.original).toEqual({ address: '198.18.1.10', port: 5000, family: 4 });
    expect(lines).toContainEqual({ event: 'reply', data: 'ok' });
  });

  it('returns the IPv4 original destination on an IPv4-only listener', async () => {
    const { accepted } = await connectAndMatch(client, '198.18.1.10', 5001, v4Only);
    expect(accepted).toMatchObject({ localAddress: '198.18.1.10', localPort: 15007 });
    expect(accepted.original).toEqual({ address: '198.18.1.10', port: 5001, family: 4 });
  });

  it('returns the IPv6 address and port the client dialled, as family 6', async () => {
    const { accepted } = await connectAndMatch(client, '2001:2:0:1::10', 5000, dualStack);
    expect(accepted).toMatchObject({ localAddress: '2001:2:0:1::10', localPort: 15006 });
    expect(accepted.original).toEqual({ address: '2001:2:0:1::10', port: 5000, family: 6 });
  });

  it('returns the remote destination of locally originated IPv4 traffic redirected in OUTPUT', async () => {
    const { accepted } = await connectAndMatch(workload, '198.18.1.1', 7000, dualStack);
    expect(accepted).toMatchObject({ localAddress: '::ffff:127.0.0.1', localPort: 15006 });
    expect(accepted.original).toEqual({ address: '198.18.1.1', port: 7000, family: 4 });
  });

  it('returns the remote destination of locally originated IPv6 traffic redirected in OUTPUT', async () => {
    const { accepted } = await connectAndMatch(workload, '2001:2:0:1::1', 7000, dualStack);
    expect(accepted).toMatchObject({ localAddress: '::1', localPort: 15006 });
    expect(accepted.original).toEqual({ address: '2001:2:0:1::1', port: 7000, family: 6 });
  });

  it.each([
    ['IPv4', '198.18.1.10'],
    ['IPv6', '2001:2:0:1::10'],
  ])('throws ENOENT for an %s connection made straight to the listener (tracked, not NATed)', async (_family, address) => {
    const { accepted } = await connectAndMatch(client, address, 15006, dualStack);
    expect(accepted.original).toBeUndefined();
    expect(accepted.error).toMatchObject({
      code: 'ENOENT',
      errno: -2,
      syscall: 'getsockopt',
      message: expect.stringContaining("not redirected: the original destination is the socket's own address"),
    });
  });

  it('throws ENOENT where conntrack has no entry at all (a namespace without NAT rules)', async () => {
    const plain = await lab.host('plain');
    const listener = await startListener(plain, 'original-dst-server', ['--port', '15006']);
    const { accepted } = await connectAndMatch(plain, '127.0.0.1', 15006, listener);
    expect(accepted.error).toMatchObject({
      code: 'ENOENT',
      errno: -2,
      syscall: 'getsockopt',
      message: expect.stringContaining('not redirected: conntrack has no entry for this connection'),
    });
  });
});
