import net, { type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamConnector } from './upstream.ts';

// The redirect-loop recognition on loopback, with real sockets: the kernel lets two connections
// share a local port when their destinations differ (here made deterministic with SO_REUSEADDR,
// which libuv sets on every explicit bind; under load the kernel's connect() port choice does the
// same on its own). Such an app connection is not the proxy's own and must not be refused.

const closers: Array<() => void> = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

async function server(): Promise<number> {
  const s = net.createServer((c) => c.on('error', () => {}));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closers.push(() => s.close());
  return (s.address() as AddressInfo).port;
}

function connected(s: Socket): Promise<Socket> {
  closers.push(() => s.destroy());
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

describe('UpstreamConnector.isOwn', () => {
  it('recognises its own connection by both ends, not by a local port another connection shares', async () => {
    const [pooled, other] = await Promise.all([server(), server()]);
    const connector = new UpstreamConnector(0, 0);
    const { socket: own } = await connector.connect({ address: '127.0.0.1', port: pooled }, { localAddress: '127.0.0.1', transparent: false, mark: 0 }, 5_000);
    closers.push(() => own.destroy());
    const port = own.localPort!;
    // An app's connection from the same local address and port, to another destination.
    const app = await connected(net.connect({ host: '127.0.0.1', port: other, localAddress: '127.0.0.1', localPort: port }));
    expect(app.localPort).toBe(port);

    expect(connector.isOwn({ address: '127.0.0.1', port }, { address: '127.0.0.1', port: pooled })).toBe(true);
    expect(connector.isOwn({ address: '127.0.0.1', port }, { address: '127.0.0.1', port: other })).toBe(false);

    own.destroy();
    await new Promise((r) => own.once('close', r));
    expect(connector.isOwn({ address: '127.0.0.1', port }, { address: '127.0.0.1', port: pooled })).toBe(false);
  });

  it('compares the endpoint as the kernel prints it, however the resource wrote it', async () => {
    const s = net.createServer((c) => c.on('error', () => {}));
    await new Promise<void>((r) => s.listen(0, '::1', r));
    closers.push(() => s.close());
    const target = (s.address() as AddressInfo).port;
    const connector = new UpstreamConnector(0, 0);
    const { socket } = await connector.connect({ address: '0:0:0:0:0:0:0:1', port: target }, { transparent: false, mark: 0 }, 5_000);
    closers.push(() => socket.destroy());
    expect(connector.isOwn({ address: socket.localAddress!, port: socket.localPort! }, { address: '::1', port: target })).toBe(true);
  });
});
