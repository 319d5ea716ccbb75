import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDataplane } from '@meshcap/dataplane';

// Issue 20: `meshcap dp` is one of the one `meshcap` command's verbs, yet its process loads none of
// the control plane: bin/meshcap.js hands `dp` to @meshcap/dataplane before it imports the cp CLI.
// Issue 17: once built, it runs compiled JavaScript, with no TypeScript loader. A module hook records
// every module the process loads; `meshcap --help` (the whole CLI) is the control that the hook
// sees Fastify and the drivers when they are loaded.

const BIN = fileURLToPath(new URL('../../bin/meshcap.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'meshcap-dp-modules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOOKS = `import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function load(url, context, next) {
  appendFileSync(log, url + '\\n');
  return next(url, context);
}
`;

/** Runs `meshcap <args>` and returns the URL of every module it loaded. */
function loadedModules(name: string, args: string[]): Promise<string[]> {
  const log = join(dir, `${name}.log`);
  writeFileSync(log, '');
  writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)}, { data: { log: ${JSON.stringify(log)} } });\n`);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', pathToFileURL(register).href, BIN, ...args], { timeout: 60_000 }, (err, stdout) => {
      if (err) return reject(err);
      if (!stdout.includes('Usage: meshcap ')) return reject(new Error(`meshcap ${args.join(' ')} printed no usage:\n${stdout}`));
      resolve(readFileSync(log, 'utf8').split('\n').filter(Boolean));
    });
  });
}

const CONTROL_PLANE = /\/node_modules\/(fastify|@fastify\/[^/]+|better-sqlite3|pg|next|react)\/|\/apps\/api\/src\//;

describe('meshcap dp loads no control plane', () => {
  it('built: runs packages/dataplane/dist/dp.mjs alone (no tsx, no .ts module); from the sources when one is newer than it, with no Fastify, driver or apps/api module either way', async () => {
    const entry = await buildDataplane();
    const compiled = await loadedModules('dp-built', ['dp', '--help']);
    expect(compiled).toContain(pathToFileURL(entry).href);
    expect(compiled.filter((m) => m.endsWith('.ts') || m.includes('/node_modules/tsx/') || CONTROL_PLANE.test(m))).toEqual([]);

    // A build older than its inputs (a source edited since) is not run: the sources are.
    const { atime, mtime } = statSync(entry);
    utimesSync(entry, atime, new Date(0));
    try {
      const sources = await loadedModules('dp-sources', ['dp', '--help']);
      expect(sources.some((m) => m.includes('/packages/dataplane/src/') && m.endsWith('.ts'))).toBe(true);
      expect(sources).not.toContain(pathToFileURL(entry).href);
      expect(sources.filter((m) => CONTROL_PLANE.test(m))).toEqual([]);
    } finally {
      utimesSync(entry, atime, mtime);
    }
  }, 180_000);

  it('the whole CLI (meshcap --help) does load them: the hook sees them', async () => {
    const modules = await loadedModules('cli', ['--help']);
    for (const name of ['fastify', 'better-sqlite3', 'pg']) expect(modules.some((m) => m.includes(`/node_modules/${name}/`))).toBe(true);
  }, 90_000);
});
