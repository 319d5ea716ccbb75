import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@meshcap/testkit';
import { startDataplane, type DataplaneHandle } from '../engine.ts';
import { loadDataplaneFile } from '../standalone.ts';

// The keep-alive idle timeout of a downstream HTTP/1.1 connection (kept by the idle sweep, not a
// socket timeout): an idle connection is closed, one with a request in flight is not, however long
// the request takes.
const IDLE_MS = 200;

describe('HTTP/1.1 keep-alive idle timeout', () => {
  let origin: http.Server;
  let dp: DataplaneHandle;
  let port: number;

  beforeAll(async () => {
    origin = http.createServer((req, res) => {
      // /slow answers after several idle timeouts have passed.
      setTimeout(() => res.end('ok'), req.url === '/slow' ? IDLE_MS * 4 : 0);
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    port = await freePort();
    const { dataplane } = loadDataplaneFile(
      `type: Dataplane
mesh: default
name: idle
networking:
  address: 127.0.0.1
  inbound:
    - port: ${port}
      servicePort: ${(origin.address() as AddressInfo).port}
      serviceAddress: 127.0.0.1
      tags: { kuma.io/service: idle, kuma.io/protocol: http }
`,
      'idle.yaml',
    );
    dp = await startDataplane({ dataplane, admin: false, idleTimeoutMs: IDLE_MS });
  });

  afterAll(async () => {
    await dp?.stop({ drainMs: 0 });
    origin?.closeAllConnections();
    await new Promise((r) => origin?.close(r));
  });

  /** Sends one request on `socket` and resolves with the response bytes once the body is complete. */
  function request(socket: net.Socket, path: string): Promise<string> {
    return new Promise((resolve) => {
      let got = '';
      const onData = (d: Buffer): void => {
        got += d.toString('latin1');
        if (/\r\n\r\nok$/.test(got)) {
          socket.off('data', onData);
          resolve(got);
        }
      };
      socket.on('data', onData);
      socket.write(`GET ${path} HTTP/1.1\r\nhost: idle\r\n\r\n`);
    });
  }

  it('keeps a connection whose request outlasts the idle timeout, then closes it once idle', async () => {
    const socket = net.connect(port, '127.0.0.1');
    const closed = new Promise<boolean>((r) => socket.once('close', () => r(true)));
    await new Promise((r) => socket.once('connect', r));
    expect(await request(socket, '/slow')).toMatch(/^HTTP\/1\.1 200 /);
    // The connection was busy for four idle timeouts and is still open: a second request goes on it.
    expect(socket.destroyed).toBe(false);
    expect(await request(socket, '/')).toMatch(/^HTTP\/1\.1 200 /);
    // Now idle: the dataplane closes it (the test's own timeout bounds the wait).
    expect(await closed).toBe(true);
  });
});
