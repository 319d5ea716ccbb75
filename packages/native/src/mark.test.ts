import { afterAll, beforeAll, expect, it } from 'vitest';
import { agentPath, describeNetns, Lab, type Host, type HostProcess } from '@meshcap/testkit';
import { agentScript, ruleCounter, runAgent, type JsonLine } from '../test-agents/harness.ts';

const MARK = 0x539;

// proxy 198.18.3.1 / 2001:2:0:3::1  <->  server 198.18.3.10 / 2001:2:0:3::10 (replies "real")
// In the proxy: outbound capture REDIRECTs :5000 to a capture listener on 15001 (replies
// "captured"), after a `-m mark --mark 0x539 -j RETURN` that exempts the proxy's own sockets, and a
// tagged mangle rule that only counts marked packets.
describeNetns('SO_MARK on outgoing sockets (connectMarked)', () => {
  let lab: Lab;
  let proxy: Host;
  let server: Host;
  let realServer: HostProcess;
  let localApp: HostProcess;

  beforeAll(async () => {
    lab = Lab.create('mark');
    [proxy, server] = await Promise.all([lab.host('proxy'), lab.host('server')]);
    await lab.link(proxy, server, { a: ['198.18.3.1/24', '2001:2:0:3::1/64'], b: ['198.18.3.10/24', '2001:2:0:3::10/64'] });
    for (const [binary, dest] of [
      ['iptables', '198.18.3.10'],
      ['ip6tables', '2001:2:0:3::10'],
    ] as const) {
      await proxy.sh(`
        ${binary} -t mangle -A OUTPUT -p tcp -d ${dest} --dport 5000 -m mark --mark ${MARK} -m comment --comment mcn-count
        ${binary} -t nat -A OUTPUT -p tcp -m mark --mark ${MARK} -m comment --comment mcn-exempt -j RETURN
        ${binary} -t nat -A OUTPUT -p tcp -d ${dest} --dport 5000 -m comment --comment mcn-capture -j REDIRECT --to-ports 15001
      `);
    }
    realServer = server.spawnNode(agentPath('tcp-listen'), ['--port', '5000', '--reply', 'real']);
    const capture = proxy.spawnNode(agentPath('tcp-listen'), ['--port', '15001', '--reply', 'captured']);
    localApp = proxy.spawnNode(agentPath('tcp-listen'), ['--port', '8080', '--host', '127.0.0.1', '--reply', 'app']);
    await Promise.all([realServer, capture, localApp].map((p) => p.waitForLine(/listening/, 20_000)));
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  function connect(host: string, mark: number, extra: string[] = []): Promise<JsonLine[]> {
    return runAgent(proxy, 'marked-connect', ['--host', host, '--port', '5000', '--mark', String(mark), '--send', 'hello', ...extra]);
  }

  it.each([
    ['iptables', '198.18.3.10'],
    ['ip6tables', '2001:2:0:3::10'],
  ] as const)('%s: the mark is on the SYN, so a mark rule counts it and RETURN keeps it from REDIRECT', async (binary, dest) => {
    const captureBefore = await ruleCounter(proxy, binary, 'nat', 'mcn-capture');
    const lines = await connect(dest, MARK);
    expect(lines).toContainEqual(expect.objectContaining({ event: 'connected', mark: MARK }));
    expect(lines).toContainEqual({ event: 'reply', data: 'real' });
    expect(await ruleCounter(proxy, binary, 'mangle', 'mcn-count')).toBeGreaterThan(0);
    expect(await ruleCounter(proxy, binary, 'nat', 'mcn-exempt')).toBeGreaterThan(0);
    expect(await ruleCounter(proxy, binary, 'nat', 'mcn-capture')).toBe(captureBefore);
  });

  it.each([
    ['no mark', 0],
    ['another mark', 0x1],
  ])('a connection with %s is captured by the same rules (the control)', async (_label, mark) => {
    const exemptBefore = await ruleCounter(proxy, 'iptables', 'nat', 'mcn-exempt');
    const captureBefore = await ruleCounter(proxy, 'iptables', 'nat', 'mcn-capture');
    const lines = await connect('198.18.3.10', mark);
    expect(lines).toContainEqual(expect.objectContaining({ event: 'connected', mark }));
    expect(lines).toContainEqual({ event: 'reply', data: 'captured' });
    expect(await ruleCounter(proxy, 'iptables', 'nat', 'mcn-exempt')).toBe(exemptBefore);
    expect(await ruleCounter(proxy, 'iptables', 'nat', 'mcn-capture')).toBe(captureBefore + 1);
  });

  it('binds the chosen source address (127.0.0.6, as inbound passthrough does) before connecting', async () => {
    const lines = await runAgent(proxy, 'marked-connect', [
      ...['--host', '127.0.0.1', '--port', '8080', '--mark', String(MARK), '--local-address', '127.0.0.6'],
    ]);
    expect(lines).toContainEqual(expect.objectContaining({ event: 'connected', localAddress: '127.0.0.6', mark: MARK }));
    expect(lines).toContainEqual({ event: 'reply', data: 'app' });
    const seen = JSON.parse(await localApp.waitForLine(/"remoteAddress":"127\.0\.0\.6"/)) as JsonLine;
    expect(seen).toMatchObject({ localPort: 8080, data: 'ping' });
  });

  it('reports a refused connection as an error event from connect, like net.connect', async () => {
    const lines = await runAgent(proxy, 'marked-connect', ['--host', '198.18.3.10', '--port', '5999', '--mark', String(MARK)]);
    expect(lines).toEqual([
      expect.objectContaining({ event: 'error', code: 'ECONNREFUSED', errno: -111, syscall: 'connect' }),
    ]);
  });

  it('fails with EPERM (syscall setsockopt) without CAP_NET_ADMIN and CAP_NET_RAW', async () => {
    const dropCaps = ['--inh-caps=-all', '--bounding-set=-net_admin,-net_raw'];
    const marked = proxy.spawn('setpriv', [
      ...dropCaps,
      ...[process.execPath, '--import', 'tsx', agentScript('marked-connect')],
      ...['--host', '198.18.3.10', '--port', '5000', '--mark', String(MARK)],
    ]);
    const transparent = proxy.spawn('setpriv', [
      ...dropCaps,
      ...[process.execPath, '--import', 'tsx', agentScript('transparent-server')],
      ...['--host', '0.0.0.0', '--port', '15099'],
    ]);
    await Promise.all([marked.exited, transparent.exited]);
    expect(marked.jsonLines()).toEqual([
      expect.objectContaining({ event: 'error', code: 'EPERM', errno: -1, syscall: 'setsockopt', message: expect.stringContaining('SO_MARK') }),
    ]);
    expect(transparent.jsonLines()).toEqual([
      expect.objectContaining({ event: 'error', code: 'EPERM', syscall: 'setsockopt', message: expect.stringContaining('IP_TRANSPARENT') }),
    ]);
  });
});
