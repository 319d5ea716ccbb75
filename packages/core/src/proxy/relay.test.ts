import net, { type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { streamRelay, type RelayResult } from './relay.ts';

// The relay contract on loopback, in this process: a client → [relay] → app, where the test holds
// both outer ends.

interface Rig {
  client: Socket;
  app: Socket;
  relayClient: Socket;
  relayUpstream: Socket;
  result: Promise<RelayResult>;
  close(): void;
}

async function rig(idleTimeoutMs = 0): Promise<Rig> {
  const appServer = net.createServer({ allowHalfOpen: true });
  const front = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
  await Promise.all([new Promise<void>((r) => appServer.listen(0, '127.0.0.1', r)), new Promise<void>((r) => front.listen(0, '127.0.0.1', r))]);
  const appSocket = new Promise<Socket>((r) => appServer.once('connection', r));
  const accepted = new Promise<Socket>((r) => front.once('connection', r));
  const client = net.connect({ port: (front.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
  client.on('error', () => {});
  const relayClient = await accepted;
  const relayUpstream = net.connect({ port: (appServer.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
  await new Promise((r) => relayUpstream.once('connect', r));
  const app = await appSocket;
  app.on('error', () => {});
  const result = new Promise<RelayResult>((resolve) => streamRelay.relay(relayClient, relayUpstream, { idleTimeoutMs }, resolve));
  return {
    client,
    app,
    relayClient,
    relayUpstream,
    result,
    close() {
      for (const s of [client, app, relayClient, relayUpstream]) s.destroy();
      appServer.close();
      front.close();
    },
  };
}

const read = (s: Socket): Promise<string> =>
  new Promise((resolve) => {
    let data = '';
    s.on('data', (d) => (data += d.toString()));
    s.on('end', () => resolve(data));
  });

describe('stream relay', () => {
  let r: Rig | undefined;
  afterEach(() => r?.close());

  it('keeps half-close: the FIN goes through and the other direction stays open', async () => {
    r = await rig();
    const gotAtApp = read(r.app);
    r.client.end('question');
    expect(await gotAtApp).toBe('question');
    const gotAtClient = read(r.client);
    r.app.end('answer after your FIN');
    expect(await gotAtClient).toBe('answer after your FIN');
    expect(await r.result).toMatchObject({ fromClient: 8, toClient: 21, close: 'fin' });
  });

  it('passes an RST on as an RST, both ways', async () => {
    r = await rig();
    const clientError = new Promise<string>((resolve) => r!.client.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')));
    r.client.write('x');
    await new Promise((res) => r!.app.once('data', res));
    r.app.resetAndDestroy();
    expect(await clientError).toBe('ECONNRESET');
    expect((await r.result).close).toBe('upstream_reset');
    r.close();

    r = await rig();
    const appError = new Promise<string>((resolve) => r!.app.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')));
    r.app.write('y');
    await new Promise((res) => r!.client.once('data', res));
    r.client.resetAndDestroy();
    expect(await appError).toBe('ECONNRESET');
    expect((await r.result).close).toBe('client_reset');
  });

  it('closes both sides after the idle timeout', async () => {
    r = await rig(300);
    const t = performance.now();
    const ended = new Promise((res) => r!.client.once('end', res));
    r.client.write('x');
    await ended;
    expect(performance.now() - t).toBeGreaterThanOrEqual(290);
    expect((await r.result).close).toBe('idle_timeout');
  });

  it('never buffers more than a bounded amount when the app stops reading', async () => {
    r = await rig();
    r.app.pause();
    const chunk = Buffer.alloc(256 * 1024, 7);
    let written = 0;
    // Write until the client's writes stop draining: every buffer on the way is full by then.
    for (;;) {
      written += chunk.length; // a write that returns false is still queued
      if (r.client.write(chunk)) continue;
      const drained = await Promise.race([new Promise((res) => r!.client.once('drain', () => res(true))), new Promise((res) => setTimeout(() => res(false), 500))]);
      if (!drained || written > 512 * 1024 * 1024) break;
    }
    // What sits in the relay's user-space buffer is at most about one read plus the high-water mark.
    expect(r.relayUpstream.writableLength).toBeLessThanOrEqual(256 * 1024);
    expect(r.relayClient.isPaused()).toBe(true);
    expect(written).toBeLessThan(512 * 1024 * 1024);
    // Reading again drains everything through.
    let atApp = 0;
    const appEnded = new Promise((res) => r!.app.once('end', res));
    r.app.on('data', (d: Buffer) => (atApp += d.length));
    r.app.resume();
    r.client.end();
    await appEnded;
    expect(atApp).toBe(written);
    r.app.end();
    expect(await r.result).toMatchObject({ fromClient: written, toClient: 0, close: 'fin' });
  });
});
