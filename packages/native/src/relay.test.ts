import net, { type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { canRelaySockets, nativeRelaysActive, relaySockets, type NativeRelayResult } from './index.ts';

// The addon's relay on loopback: client → [relaySockets] → app. The full relay contract (half-close,
// RST both ways, idle timeout, backpressure, bulk, heads, abort) runs against this relay and the
// stream one in packages/core/src/proxy/relay.test.ts; here, what the wrapper itself decides.

async function pair(): Promise<{ client: Socket; relayClient: Socket; upstream: Socket; app: Socket; close(): void }> {
  const appServer = net.createServer({ allowHalfOpen: true });
  const front = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
  await Promise.all([new Promise<void>((r) => appServer.listen(0, '127.0.0.1', r)), new Promise<void>((r) => front.listen(0, '127.0.0.1', r))]);
  const appSocket = new Promise<Socket>((r) => appServer.once('connection', r));
  const accepted = new Promise<Socket>((r) => front.once('connection', r));
  const client = net.connect({ port: (front.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
  const relayClient = await accepted;
  const upstream = net.connect({ port: (appServer.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
  await new Promise((r) => upstream.once('connect', r));
  const app = await appSocket;
  return {
    client,
    relayClient,
    upstream,
    app,
    close() {
      for (const s of [client, relayClient, upstream, app]) s.destroy();
      appServer.close();
      front.close();
    },
  };
}

describe('relaySockets', () => {
  it('refuses sockets it cannot take: unconnected, destroyed, or with writes queued in Node', async () => {
    const p = await pair();
    try {
      expect(canRelaySockets(p.relayClient, p.upstream)).toBe(true);
      const unconnected = new net.Socket();
      expect(canRelaySockets(p.relayClient, unconnected)).toBe(false);
      expect(() => relaySockets(p.relayClient, unconnected, { idleTimeoutMs: 0 }, () => {})).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
      p.app.pause();
      // Fill the kernel buffers so Node queues the rest.
      while (p.upstream.write(Buffer.alloc(1 << 20))) await new Promise((r) => setImmediate(r));
      expect(canRelaySockets(p.relayClient, p.upstream)).toBe(false);
      p.client.destroy();
      await new Promise((r) => setTimeout(r, 20));
      expect(() => relaySockets(p.relayClient, p.upstream, { idleTimeoutMs: -1 }, () => {})).toThrow(TypeError);
    } finally {
      p.close();
    }
  });

  it('relays both ways in C, reports counts once, and destroys both sockets', async () => {
    const p = await pair();
    try {
      const done: NativeRelayResult[] = [];
      const finished = new Promise<void>((resolve) =>
        relaySockets(p.relayClient, p.upstream, { idleTimeoutMs: 0 }, (r) => {
          done.push(r);
          resolve();
        }),
      );
      expect(nativeRelaysActive()).toBe(1);
      p.app.on('data', (d: Buffer) => p.app.write(d.toString().toUpperCase()));
      const echoed = new Promise<string>((resolve) => p.client.once('data', (d: Buffer) => resolve(d.toString())));
      p.client.write('hello');
      expect(await echoed).toBe('HELLO');
      p.client.end();
      await new Promise((r) => p.app.once('end', r));
      p.app.end();
      await finished;
      await new Promise((r) => setTimeout(r, 20));
      expect(done).toEqual([{ fromClient: 5, toClient: 5, close: 'fin', firstUpstreamByteAfterMs: expect.any(Number) }]);
      expect(p.relayClient.destroyed && p.upstream.destroyed).toBe(true);
      expect(nativeRelaysActive()).toBe(0);
    } finally {
      p.close();
    }
  });
});
