import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentPath, describeNetns, Lab, type Host, type HostProcess } from '@meshcap/testkit';
import { installTransparentProxy, parseTransparentProxyConfig, uninstallTransparentProxy, type TransparentProxyConfigInput } from './index.ts';

// client 198.18.30.1 / 2001:2:0:30::1  ──veth──  dp 198.18.30.10 / 2001:2:0:30::10
// The dp host runs the app on 5000 and stand-ins for the dataplane listeners on 15006 and 15001;
// the client runs a "remote" service on 7000. Real connections show where the rules send them.
const CLIENT = { v4: '198.18.30.1', v6: '2001:2:0:30::1' };
const DP = { v4: '198.18.30.10', v6: '2001:2:0:30::10' };
const markedConnect = fileURLToPath(new URL('../../../native/test-agents/marked-connect.ts', import.meta.url));
const tproxyRelay = fileURLToPath(new URL('./__agents__/tproxy-relay.ts', import.meta.url));

/** The reply the connection got (which listener answered), or `error:<code>`. */
async function connect(from: Host, host: string, port: number, as: { uid?: number; mark?: number } = {}): Promise<string> {
  let proc: HostProcess;
  if (as.mark !== undefined) {
    proc = from.spawnNode(markedConnect, ['--host', host, '--port', String(port), '--mark', String(as.mark), '--send', 'hello']);
  } else {
    const args = [agentPath('tcp-connect'), '--host', host, '--port', String(port), '--send', 'hello', '--timeout', '4000'];
    proc =
      as.uid !== undefined
        ? from.spawn('setpriv', [`--reuid=${as.uid}`, `--regid=${as.uid}`, '--clear-groups', process.execPath, ...args])
        : from.spawnNode(args[0]!, args.slice(1));
  }
  await proc.exited;
  const lines = proc.jsonLines<{ event: string; data?: string; code?: string }>();
  const reply = lines.find((l) => l.event === 'reply');
  if (reply) return reply.data ?? '';
  return `error:${lines.find((l) => l.event === 'error')?.code ?? `exit ${proc.stderr.trim()}`}`;
}

async function topology(lab: Lab): Promise<{ client: Host; dp: Host }> {
  const [client, dp] = await Promise.all([lab.host('client'), lab.host('dp')]);
  await lab.link(client, dp, { a: [`${CLIENT.v4}/24`, `${CLIENT.v6}/64`], b: [`${DP.v4}/24`, `${DP.v6}/64`] });
  return { client, dp };
}

async function listen(host: Host, port: number, reply: string): Promise<HostProcess> {
  const proc = host.spawnNode(agentPath('tcp-listen'), ['--port', String(port), '--reply', reply]);
  await proc.waitForLine(/listening/);
  return proc;
}

for (const backend of ['iptables', 'nftables'] as const) {
  describeNetns(`capture: REDIRECT traffic through the ${backend} rules`, () => {
    let lab: Lab;
    let client: Host;
    let dp: Host;
    const install = (input: TransparentProxyConfigInput = {}) =>
      installTransparentProxy(parseTransparentProxyConfig({ backend, excludeOutboundMark: 0x4d43, ...input }), { netns: dp.netns });

    beforeAll(async () => {
      lab = Lab.create(`captraf${backend.slice(0, 3)}`);
      ({ client, dp } = await topology(lab));
      await Promise.all([listen(dp, 5000, 'app'), listen(dp, 15006, 'inbound-listener'), listen(dp, 15001, 'outbound-listener'), listen(client, 7000, 'remote')]);
    }, 60_000);
    afterAll(async () => {
      await lab?.destroy();
    });

    it('without rules every connection reaches its destination', async () => {
      expect(await connect(client, DP.v4, 5000)).toBe('app');
      expect(await connect(dp, CLIENT.v4, 7000)).toBe('remote');
    });

    describe('default rules', () => {
      beforeAll(async () => {
        await install();
      });

      it.each([
        ['inbound IPv4 to the app port goes to the inbound listener', 'client', DP.v4, 5000, {}, 'inbound-listener'],
        ['inbound IPv6 likewise', 'client', DP.v6, 5000, {}, 'inbound-listener'],
        ['outbound IPv4 of the app goes to the outbound listener', 'dp', CLIENT.v4, 7000, {}, 'outbound-listener'],
        ['outbound IPv6 likewise', 'dp', CLIENT.v6, 7000, {}, 'outbound-listener'],
        ['the app calling 127.0.0.1 is not captured', 'dp', '127.0.0.1', 5000, {}, 'app'],
        ['the app calling ::1 is not captured', 'dp', '::1', 5000, {}, 'app'],
        ['the app calling its own address is not captured (loopback, not the dataplane)', 'dp', DP.v4, 5000, {}, 'app'],
        ['the dataplane user (UID 5678) is not captured outbound', 'dp', CLIENT.v4, 7000, { uid: 5678 }, 'remote'],
        ['the dataplane user calling the app by its address reaches inbound capture', 'dp', DP.v4, 5000, { uid: 5678 }, 'inbound-listener'],
        ['the dataplane mark (--exclude-outbound-mark) is not captured outbound', 'dp', CLIENT.v4, 7000, { mark: 0x4d43 }, 'remote'],
        ['the dataplane mark over IPv6 likewise', 'dp', CLIENT.v6, 7000, { mark: 0x4d43 }, 'remote'],
        ['another mark is captured', 'dp', CLIENT.v4, 7000, { mark: 0x4d44 }, 'outbound-listener'],
      ] as const)('%s', async (_name, from, host, port, as, expected) => {
        expect(await connect(from === 'client' ? client : dp, host, port, as)).toBe(expected);
      });
    });

    it('exclusions: inbound port, outbound address, outbound port for a UID', async () => {
      await install({ excludeInboundPorts: [5000], excludeOutboundIps: [CLIENT.v6], excludeOutboundPortsForUids: ['tcp:7000:4321'] });
      expect(await connect(client, DP.v4, 5000)).toBe('app');
      expect(await connect(dp, CLIENT.v6, 7000)).toBe('remote');
      expect(await connect(dp, CLIENT.v4, 7000)).toBe('outbound-listener');
      expect(await connect(dp, CLIENT.v4, 7000, { uid: 4321 })).toBe('remote');
      expect(await connect(dp, CLIENT.v4, 7000, { uid: 4322 })).toBe('outbound-listener');
    });

    it('after uninstall nothing is captured', async () => {
      await uninstallTransparentProxy(undefined, { netns: dp.netns });
      expect(await connect(client, DP.v4, 5000)).toBe('app');
      expect(await connect(client, DP.v6, 5000)).toBe('app');
      expect(await connect(dp, CLIENT.v4, 7000)).toBe('remote');
    });
  });

  describeNetns(`capture: TPROXY inbound through the ${backend} rules`, () => {
    let lab: Lab;
    let client: Host;
    let dp: Host;
    let app: HostProcess;
    let relay: HostProcess;

    beforeAll(async () => {
      lab = Lab.create(`captp${backend.slice(0, 3)}`);
      ({ client, dp } = await topology(lab));
      [app, relay] = await Promise.all([
        listen(dp, 5000, 'app'),
        (async () => {
          const p = dp.spawnNode(tproxyRelay, ['--port', '15006', '--mark', String(0x539)]);
          await p.waitForLine(/"event":"listening"/, 20_000);
          return p;
        })(),
        listen(dp, 15001, 'outbound-listener'),
        listen(client, 7000, 'remote'),
      ]);
      await installTransparentProxy(parseTransparentProxyConfig({ backend, inboundMode: 'tproxy' }), { netns: dp.netns });
    }, 60_000);
    afterAll(async () => {
      await lab?.destroy();
    });

    for (const [family, dst, src] of [
      ['IPv4', DP.v4, CLIENT.v4],
      ['IPv6', DP.v6, CLIENT.v6],
    ] as const) {
      it(`the app sees the real client address (${family})`, async () => {
        expect(await connect(client, dst, 5000)).toBe('app');
        const seen = JSON.parse(await app.waitForLine(new RegExp(`"remoteAddress":"(::ffff:)?${src}"`))) as { localPort: number };
        expect(seen.localPort).toBe(5000);
        const relayed = JSON.parse(await relay.waitForLine(new RegExp(`"client":"${src}"`))) as { destination: string; upstreamLocal: string };
        expect(relayed).toMatchObject({ destination: `${dst}:5000`, upstreamLocal: src });
      });
    }

    it('outbound stays REDIRECT', async () => {
      expect(await connect(dp, CLIENT.v4, 7000)).toBe('outbound-listener');
    });
  });
}
