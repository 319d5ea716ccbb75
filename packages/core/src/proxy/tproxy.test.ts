import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNetns, Lab, type Host, type HostProcess } from '@meshcap/testkit';
import { dataplaneYaml } from '../testing.ts';
import { curl, eventually, installDefaultCapture, startDp, startHttpApp, startTcpApp, tcpProbe, type RunningDp } from './testing/lab.ts';

// TPROXY inbound (`install transparent-proxy --inbound-mode tproxy`): the dataplane accepts on a
// transparent socket and connects to the app from the client's own address (IP_TRANSPARENT, with
// the TPROXY mark so the app's replies are routed back to it), so the app sees the real client.
const SERVER = '198.18.6.10';
const CLIENT = '198.18.6.1';
const SERVER6 = '2001:2:0:6::10';
const CLIENT6 = '2001:2:0:6::1';

describeNetns('dataplane, TPROXY inbound', () => {
  let lab: Lab;
  let client: Host;
  let server: Host;
  let dp: RunningDp;
  let tcpApp: HostProcess;

  beforeAll(async () => {
    lab = Lab.create('dp-tproxy');
    client = await lab.host('client');
    server = await lab.host('server');
    await lab.link(client, server, { a: [`${CLIENT}/24`, `${CLIENT6}/64`], b: [`${SERVER}/24`, `${SERVER6}/64`] });
    await installDefaultCapture(server, { inboundMode: 'tproxy' });
    [, tcpApp] = await Promise.all([startHttpApp(server, 5000), startTcpApp(server, 7000, 'echo')]);
    dp = await startDp(server, dataplaneYaml({ name: 'backend', address: SERVER, inbound: [{ port: 5000, service: 'backend', protocol: 'http' }], transparentProxying: { inboundMode: 'tproxy' } }));
  }, 90_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  it('listens on a transparent socket', async () => {
    const listeners = await dp.adminJson<{ listener_statuses: Array<{ name: string; transparent: boolean }> }>('/listeners?format=json');
    expect(listeners.listener_statuses.find((l) => l.name === 'inbound:passthrough:ipv4')).toMatchObject({ transparent: true });
  });

  it('delivers HTTP to the app with the real client address', async () => {
    const body = JSON.parse(await curl(client, ['-H', 'x-request-id: tproxy-1', `http://${SERVER}:5000/who`]));
    expect(body).toMatchObject({ path: '/who', remoteAddress: `::ffff:${CLIENT}` });
    const flow = await eventually(async () => (await dp.flows()).find((f) => f.http?.requestId === 'tproxy-1'), 'flow');
    expect(flow).toMatchObject({ capture: 'tproxy', listener: `inbound:${SERVER}:5000`, client: { address: CLIENT }, destination: { address: SERVER, port: 5000 }, upstream: { address: SERVER, port: 5000 } });
  });

  it('delivers raw TCP through the passthrough with the real client address, IPv4 and IPv6', async () => {
    expect((await tcpProbe(client, SERVER, 7000, 'send', ['--send', 'tp4'])).data).toBe('tp4');
    expect((await tcpProbe(client, SERVER6, 7000, 'send', ['--send', 'tp6'])).data).toBe('tp6');
    const seen = tcpApp.jsonLines<{ event: string; remoteAddress: string }>().filter((l) => l.event === 'connection').map((l) => l.remoteAddress);
    expect(seen).toEqual([`::ffff:${CLIENT}`, CLIENT6]);
    const flow = await eventually(async () => (await dp.flows()).find((f) => f.listener === 'inbound:passthrough:ipv6'), 'v6 flow');
    expect(flow).toMatchObject({ capture: 'tproxy', client: { address: CLIENT6 }, destination: { address: SERVER6, port: 7000 } });
  });
});
