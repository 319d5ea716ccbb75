/**
 * The OpenAPI document without a running server: builds the app over a throwaway SQLite store and
 * asks it for `GET /openapi.json` with `inject()`, as the route tests do. The dashboard's API types
 * are generated from it (apps/web/scripts/generate-api-types.ts); run as a script, it prints it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildApp } from './app.ts';
import { openStore } from './store/index.ts';

export async function openApiDocument(): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'meshcap-openapi-'));
  try {
    const store = await openStore({ dataDir });
    try {
      const app = await buildApp({ store, adminToken: 'openapi-document-only-0123456789' });
      try {
        await app.ready();
        const res = await app.inject('/openapi.json');
        if (res.statusCode !== 200) throw new Error(`GET /openapi.json answered ${res.statusCode}: ${res.body}`);
        return res.json() as Record<string, unknown>;
      } finally {
        await app.close();
      }
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(await openApiDocument(), null, 2)}\n`);
}
