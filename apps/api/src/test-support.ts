import { mkdtempSync, rmSync } from 'node:fs';
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
