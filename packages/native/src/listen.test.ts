import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { createListenSocket, listenOnSocket } from './index.ts';

const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

function server(onConnection: () => void): net.Server {
  const s = net.createServer((socket) => {
    onConnection();
    socket.destroy();
  });
  servers.push(s);
  return s;
}

function connectOnce(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => c.end());
    c.on('close', () => resolve());
    c.on('error', reject);
  });
}

it('SO_REUSEPORT: two servers listen on one port and the kernel spreads connections over both', async () => {
  const counts = [0, 0];
  const first = await listenOnSocket(server(() => counts[0]!++), { host: '127.0.0.1', port: 0, reusePort: true });
  await listenOnSocket(server(() => counts[1]!++), { host: '127.0.0.1', port: first.port, reusePort: true });
  // The 4-tuple hash differs per client port, so over 100 connections both get some (1 in 2^99 not).
  for (let i = 0; i < 100; i++) await connectOnce(first.port);
  await new Promise((r) => setTimeout(r, 50));
  expect(counts[0]! + counts[1]!).toBe(100);
  expect(counts[0]).toBeGreaterThan(0);
  expect(counts[1]).toBeGreaterThan(0);
});

it('without SO_REUSEPORT on both the second bind fails with EADDRINUSE', async () => {
  const first = await listenOnSocket(server(() => {}), { host: '127.0.0.1', port: 0, reusePort: true });
  expect(() => createListenSocket({ host: '127.0.0.1', port: first.port })).toThrow(expect.objectContaining({ code: 'EADDRINUSE', syscall: 'bind' }));
  const plain = net.createServer();
  servers.push(plain);
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  expect(() => createListenSocket({ host: '127.0.0.1', port: (plain.address() as net.AddressInfo).port, reusePort: true })).toThrow(expect.objectContaining({ code: 'EADDRINUSE' }));
});

it('checks its options before any syscall', () => {
  expect(() => createListenSocket({ host: '127.0.0.1', port: 0, reusePort: 'yes' as unknown as boolean })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => createListenSocket({ host: 'localhost', port: 0 })).toThrow(TypeError);
});
