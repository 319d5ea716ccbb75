import { readdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterEach, expect, it } from 'vitest';

// The relay loop is one per JavaScript thread (the env's instance data): worker threads relay at
// the same time, each gets its own completions, and a worker that ends takes its loop with it.

/** A worker that loads this package from its sources and relays one echo exchange per message. */
const WORKER = `
  const { parentPort, workerData } = require('node:worker_threads');
  const net = require('node:net');
  import(workerData.tsx).then((m) => { m.register(); return import(workerData.native); }).then(async ({ relaySockets, nativeRelaysActive }) => {
    const echo = net.createServer((s) => s.pipe(s)).listen(0, '127.0.0.1');
    await new Promise((r) => echo.once('listening', r));
    const proxy = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
      const upstream = net.connect({ port: echo.address().port, host: '127.0.0.1', allowHalfOpen: true }, () => {
        relaySockets(client, upstream, { idleTimeoutMs: 0 }, (result) => parentPort.postMessage({ type: 'done', result }));
      });
    }).listen(0, '127.0.0.1');
    await new Promise((r) => proxy.once('listening', r));
    parentPort.on('message', (m) => {
      const c = net.connect(proxy.address().port, '127.0.0.1', () => c.write(m.text));
      let got = '';
      c.on('data', (d) => {
        got += d;
        if (got.length >= m.text.length && !m.hold) c.end();
        if (got.length >= m.text.length) parentPort.postMessage({ type: 'echo', got, active: nativeRelaysActive() });
      });
    });
    parentPort.postMessage({ type: 'ready' });
  });
`;

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

type Message = { type: 'ready' } | { type: 'done'; result: { fromClient: number; toClient: number; close: string } } | { type: 'echo'; got: string; active: number };

function start(): { worker: Worker; next: (type: Message['type']) => Promise<Message> } {
  const worker = new Worker(WORKER, { eval: true, workerData: { tsx: import.meta.resolve('tsx/esm/api'), native: new URL('./index.ts', import.meta.url).href } });
  workers.push(worker);
  const queue: Message[] = [];
  const waiting: Array<{ type: Message['type']; resolve: (m: Message) => void }> = [];
  worker.on('message', (m: Message) => {
    const i = waiting.findIndex((w) => w.type === m.type);
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(m);
    else queue.push(m);
  });
  const next = (type: Message['type']): Promise<Message> => {
    const i = queue.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      waiting.push({ type, resolve });
      worker.once('error', reject);
    });
  };
  return { worker, next };
}

const threads = (): number => readdirSync('/proc/self/task').length;

it('two worker threads relay at once, each getting its own completions', async () => {
  const a = start();
  const b = start();
  await Promise.all([a.next('ready'), b.next('ready')]);
  a.worker.postMessage({ text: 'from a' });
  b.worker.postMessage({ text: 'from b, longer' });
  const [ea, eb] = await Promise.all([a.next('echo'), b.next('echo')]);
  expect([ea, eb].map((e) => (e as { got: string }).got)).toEqual(['from a', 'from b, longer']);
  const [da, db] = await Promise.all([a.next('done'), b.next('done')]);
  expect((da as { result: unknown }).result).toMatchObject({ fromClient: 6, toClient: 6, close: 'fin' });
  expect((db as { result: unknown }).result).toMatchObject({ fromClient: 14, toClient: 14, close: 'fin' });
});

it('a worker ended with a relay running takes its relay thread with it; the next one relays', async () => {
  const before = threads();
  for (let i = 0; i < 4; i++) {
    const w = start();
    await w.next('ready');
    w.worker.postMessage({ text: `held ${i}`, hold: true });
    expect(await w.next('echo')).toMatchObject({ active: 1 });
    await w.worker.terminate();
  }
  // Each worker had its own JavaScript thread and relay thread; none of them is left.
  for (let i = 0; i < 50 && threads() > before; i++) await new Promise((r) => setTimeout(r, 20));
  expect(threads()).toBeLessThanOrEqual(before);
  const last = start();
  await last.next('ready');
  last.worker.postMessage({ text: 'after' });
  expect(await last.next('echo')).toMatchObject({ got: 'after' });
  expect(await last.next('done')).toMatchObject({ result: { fromClient: 5, toClient: 5, close: 'fin' } });
});
