import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Issue 20: `meshcap dp` is one of the one `meshcap` command's verbs, yet its process loads none of
// the control plane: bin/meshcap.js hands `dp` to @meshcap/dataplane before it imports the cp CLI.
// A module hook records every module the process resolves; `meshcap --help` (the whole CLI) is the
// control that the hook sees Fastify and the drivers when they are loaded.

const BIN = fileURLToPath(new URL('../../bin/meshcap.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'meshcap-dp-modules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOOKS = `import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(log, resolved.url + '\\n');
  return resolved;
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
  it('meshcap dp: no Fastify, no SQLite or PostgreSQL driver, nothing of apps/api/src', async () => {
    const modules = await loadedModules('dp', ['dp', '--help']);
    expect(modules.some((m) => m.includes('/packages/dataplane/src/'))).toBe(true);
    expect(modules.filter((m) => CONTROL_PLANE.test(m))).toEqual([]);
  }, 90_000);

  it('the whole CLI (meshcap --help) does load them: the hook sees them', async () => {
    const modules = await loadedModules('cli', ['--help']);
    for (const name of ['fastify', 'better-sqlite3', 'pg']) expect(modules.some((m) => m.includes(`/node_modules/${name}/`))).toBe(true);
  }, 90_000);
});
