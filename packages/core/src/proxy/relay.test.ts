import { createHash, randomBytes } from 'node:crypto';
import net, { type AddressInfo, type Socket } from 'node:net';
import { nativeRelaysActive } from '@meshcap/native';
import { afterEach, describe, expect, it } from 'vitest';
import { nativeRelay, streamRelay, type RelayHandle, type RelayOptions, type RelayResult, type TcpRelay } from './relay.ts';

// The relay contract on loopback, in this process: a client → [relay] → app, where the test holds
// both outer ends. Every test runs against each relay: the stream one and the native (C) one.

interface Rig {
  client: Socket;
  app: Socket;
  relayClient: Socket;
  relayUpstream: Socket;
  result: Promise<RelayResult>;
  handle: RelayHandle;
  close(): void;
}

async function rig(relay: TcpRelay, idleTimeoutMs = 0, heads: Pick<RelayOptions, 'clientHead' | 'upstreamHead'> = {}): Promise<Rig> {
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
  let handle!: RelayHandle;
  let calls = 0;
  const result = new Promise<RelayResult>((resolve) => {
    handle = relay.relay(relayClient, relayUpstream, { idleTimeoutMs, ...heads }, (r) => {
      calls++;
      resolve(r);
    });
  });
  // Exactly one `done`: a second call would show here on the next result read.
  const once = result.then(async (r) => {
    await new Promise((res) => setTimeout(res, 50));
    expect(calls).toBe(1);
    expect(relayClient.destroyed && relayUpstream.destroyed).toBe(true);
    return r;
  });
  return {
    client,
    app,
    relayClient,
    relayUpstream,
    result: once,
    handle,
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

describe.each([streamRelay, nativeRelay])('$name relay', (relay) => {
  let r: Rig | undefined;
  afterEach(() => r?.close());

  it('keeps half-close: the FIN goes through and the other direction stays open', async () => {
    r = await rig(relay);
    const gotAtApp = read(r.app);
    r.client.end('question');
    expect(await gotAtApp).toBe('question');
    const gotAtClient = read(r.client);
    r.app.end('answer after your FIN');
    expect(await gotAtClient).toBe('answer after your FIN');
    expect(await r.result).toMatchObject({ fromClient: 8, toClient: 21, close: 'fin' });
  });

  it('passes an RST on as an RST, both ways', async () => {
    r = await rig(relay);
    const clientError = new Promise<string>((resolve) => r!.client.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')));
    r.client.write('x');
    await new Promise((res) => r!.app.once('data', res));
    r.app.resetAndDestroy();
    expect(await clientError).toBe('ECONNRESET');
    expect((await r.result).close).toBe('upstream_reset');
    r.close();

    r = await rig(relay);
    const appError = new Promise<string>((resolve) => r!.app.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')));
    r.app.write('y');
    await new Promise((res) => r!.client.once('data', res));
    r.client.resetAndDestroy();
    expect(await appError).toBe('ECONNRESET');
    expect((await r.result).close).toBe('client_reset');
  });

  it('closes both sides after the idle timeout', async () => {
    r = await rig(relay, 300);
    const t = performance.now();
    const ended = new Promise((res) => r!.client.once('end', res));
    r.client.write('x');
    await ended;
    expect(performance.now() - t).toBeGreaterThanOrEqual(290);
    expect((await r.result).close).toBe('idle_timeout');
  });

  it('never buffers more than a bounded amount when the app stops reading', async () => {
    r = await rig(relay);
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

  it('relays bulk data intact both ways at once (the splice path in C)', async () => {
    r = await rig(relay);
    const up = randomBytes(6 * 1024 * 1024);
    const down = randomBytes(5 * 1024 * 1024 + 17);
    const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    const collect = (s: Socket): Promise<Buffer> =>
      new Promise((resolve) => {
        const parts: Buffer[] = [];
        s.on('data', (d: Buffer) => parts.push(d));
        s.on('end', () => resolve(Buffer.concat(parts)));
      });
    const atApp = collect(r.app);
    const atClient = collect(r.client);
    r.client.end(up);
    r.app.end(down);
    expect(digest(await atApp)).toBe(digest(up));
    expect(digest(await atClient)).toBe(digest(down));
    expect(await r.result).toMatchObject({ fromClient: up.length, toClient: down.length, close: 'fin' });
  });

  it('sends the heads first and counts them', async () => {
    r = await rig(relay, 0, { clientHead: Buffer.from('GET / HTTP/1.1\r\n'), upstreamHead: Buffer.from('HTTP/1.1 101 ok\r\n\r\n') });
    const gotAtApp = read(r.app);
    const gotAtClient = read(r.client);
    r.client.end('rest');
    expect(await gotAtApp).toBe('GET / HTTP/1.1\r\nrest');
    r.app.end('frames');
    expect(await gotAtClient).toBe('HTTP/1.1 101 ok\r\n\r\nframes');
    const result = await r.result;
    expect(result).toMatchObject({ fromClient: 20, toClient: 25, close: 'fin' });
    expect(result.firstUpstreamByteAt).toBeTypeOf('number');
  });

  it('abort ends it with the reason given, once', async () => {
    r = await rig(relay);
    const clientEnded = new Promise((res) => r!.client.once('end', res));
    r.client.write('x');
    await new Promise((res) => r!.app.once('data', res));
    r.handle.abort('drain');
    r.handle.abort('local'); // a second abort changes nothing
    await clientEnded;
    expect((await r.result).close).toBe('drain');
  });
});

describe('native relay', () => {
  it('takes the sockets from Node: nothing is read in JavaScript while it relays', async () => {
    const r = await rig(nativeRelay);
    try {
      let seenInNode = 0;
      r.relayClient.on('data', (d: Buffer) => (seenInNode += d.length));
      r.relayUpstream.on('data', (d: Buffer) => (seenInNode += d.length));
      const echoed = new Promise<string>((resolve) => r.client.once('data', (d: Buffer) => resolve(d.toString())));
      r.app.on('data', (d: Buffer) => r.app.write(d));
      r.client.write('ping');
      expect(await echoed).toBe('ping');
      expect(nativeRelaysActive()).toBeGreaterThanOrEqual(1);
      expect(seenInNode).toBe(0);
      r.client.end();
      r.app.end();
      expect(await r.result).toMatchObject({ fromClient: 4, toClient: 4, close: 'fin' });
    } finally {
      r.close();
    }
  });

  it('keeps Node from reading when it starts inside a data handler (an HTTP upgrade does)', async () => {
    // The stream machinery queues a read(0) after a 'data' event; that must not restart Node's reads.
    const appServer = net.createServer({ allowHalfOpen: true });
    await new Promise<void>((r) => appServer.listen(0, '127.0.0.1', r));
    const appSocket = new Promise<Socket>((r) => appServer.once('connection', r));
    const upstream = net.connect({ port: (appServer.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
    const front = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    const accepted = new Promise<Socket>((r) => front.once('connection', r));
    const client = net.connect({ port: (front.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
    const relayClient = await accepted;
    const app = await appSocket;
    try {
      const result = new Promise<RelayResult>((resolve) => {
        upstream.once('data', (head: Buffer) => {
          upstream.removeAllListeners('data');
          nativeRelay.relay(relayClient, upstream, { idleTimeoutMs: 0, upstreamHead: head }, resolve);
        });
      });
      app.write('101 switching\n');
      const got = new Promise<string>((resolve) => {
        let text = '';
        client.on('data', (d: Buffer) => {
          text += d.toString();
          if (text.includes('echo:frame')) resolve(text);
        });
      });
      await new Promise((res) => setTimeout(res, 50)); // past the queued read(0)
      expect((upstream as unknown as { _handle: { reading: boolean } })._handle.reading).toBe(false);
      app.on('data', (d: Buffer) => app.write(`echo:${d.toString()}`));
      client.write('frame');
      expect(await got).toBe('101 switching\necho:frame');
      client.end();
      app.end();
      expect(await result).toMatchObject({ fromClient: 5, toClient: 24, close: 'fin' });
    } finally {
      for (const s of [client, app, relayClient, upstream]) s.destroy();
      appServer.close();
      front.close();
    }
  });
});
