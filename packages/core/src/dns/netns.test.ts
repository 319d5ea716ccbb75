import { fileURLToPath } from 'node:url';
import { describeNetns, Lab } from '@meshcap/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';

// The proxy where the namespace has no IPv6 (no ::1): it serves IPv4 alone and says so, instead of
// failing the whole dataplane. Any other address it cannot open is still an error.
const fixture = fileURLToPath(new URL('./testing/start-proxy.ts', import.meta.url));

describeNetns('DNS proxy in a namespace with IPv6 turned off', () => {
  let lab: Lab;
  beforeAll(() => {
    lab = Lab.create('dns-nov6');
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('listens on 127.0.0.1 only, with a warning, when ::1 does not exist; an address that is not local is refused', async () => {
    const host = await lab.host('nov6');
    await host.sh('sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.lo.disable_ipv6=1');
    const run = async (...addresses: string[]) => JSON.parse(await host.spawnNode(fixture, addresses).waitForLine(/^\{/, 20_000)) as Record<string, unknown>;
    const both = await run('127.0.0.1:15053', '[::1]:15053');
    expect(both['listening']).toEqual([
      { address: '127.0.0.1', port: 15053, protocol: 'udp' },
      { address: '127.0.0.1', port: 15053, protocol: 'tcp' },
    ]);
    expect(both['warnings']).toEqual([expect.stringContaining('::1 is not available in this namespace')]);
    expect(await run('[::1]:15054')).toMatchObject({ error: 'MESHCAP_ERR_LISTEN' });
    expect(await run('127.0.0.1:15055', '198.18.250.250:15055')).toMatchObject({ error: 'MESHCAP_ERR_LISTEN' });
  });
});
