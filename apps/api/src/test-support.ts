import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type App, type AppOptions } from './app.ts';
import { openStore, type Store } from './store/index.ts';

/** The admin token test apps are started with. */
export const TEST_TOKEN = 'test-admin-token-0123456789';
export const AUTH = { authorization: `Bearer ${TEST_TOKEN}` };

export interface TestControlPlane {
  app: App;
  store: Store;
  dataDir: string;
  /** Closes the app and the store; `keepData` leaves the directory for a restart. */
  close(opts?: { keepData?: boolean }): Promise<void>;
}

/** A real app over a real SQLite store in a temporary directory. */
export async function startTestApp(options: Partial<AppOptions> & { dataDir?: string } = {}, extend?: (app: App) => Promise<unknown>): Promise<TestControlPlane> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'meshcap-api-'));
  const store = options.store ?? (await openStore({ dataDir }));
  const app = await buildApp({ adminToken: TEST_TOKEN, ...options, store });
  if (extend) await extend(app);
  await app.ready();
  return {
    app,
    store,
    dataDir,
    async close(opts = {}) {
      await app.close();
      await store.close();
      if (!opts.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** POST /api/resources with the admin token. */
export function applyYaml(app: App, yaml: string, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: '/api/resources', payload: yaml, headers: { 'content-type': 'application/yaml', ...AUTH, ...headers } });
}

export interface SseEvent {
  id?: string;
  event: string;
  data: unknown;
}

/**
 * Reads Server-Sent Events from `url` until `done(events)` is true (comments and `retry:` left
 * out); rejects after `timeoutMs` saying what arrived.
 */
export function collectSse(
  url: string,
  done: (events: SseEvent[]) => boolean,
  opts: { headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ events: SseEvent[]; contentType: string | undefined; close: () => void }> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    const req = http.get(url, { headers: opts.headers ?? {} }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(':') || block.startsWith('retry:')) continue;
          const e: SseEvent = { event: 'message', data: undefined };
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) e.id = line.slice(4);
            else if (line.startsWith('event: ')) e.event = line.slice(7);
            else if (line.startsWith('data: ')) e.data = JSON.parse(line.slice(6));
          }
          events.push(e);
          if (done(events)) {
            clearTimeout(timer);
            resolve({ events, contentType: res.headers['content-type'], close: () => req.destroy() });
          }
        }
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`the stream did not deliver what was expected; got: ${events.map((e) => e.event).join(', ') || 'nothing'}`));
    }, opts.timeoutMs ?? 10_000);
    req.on('error', (err) => (err.message === 'socket hang up' ? undefined : reject(err)));
  });
}
