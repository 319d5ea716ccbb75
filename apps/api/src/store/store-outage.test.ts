import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, inCI } from '@meshcap/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyYaml, AUTH, startTestApp, type TestControlPlane } from '../test-support.ts';
import { openStore } from './index.ts';

// PostgreSQL stopped under a running control plane: the API answers what it holds, refuses changes
// with 503 MESHCAP_ERR_STORE_UNAVAILABLE (no crash, no 500), and takes changes again once the server
// is back, without a restart. The server is a private cluster in a temporary directory (Debian's
// binaries, run as the postgres user), so stopping it touches no other test's database.

function pgBin(): string | undefined {
  if (!existsSync('/usr/lib/postgresql')) return undefined;
  const versions = execFileSync('ls', ['/usr/lib/postgresql'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).sort((a, b) => Number(b) - Number(a));
  const bin = versions[0] ? `/usr/lib/postgresql/${versions[0]}/bin` : undefined;
  return bin && existsSync(`${bin}/initdb`) ? bin : undefined;
}

const bin = pgBin();
const canRun = process.getuid?.() === 0 && bin !== undefined;
const reason = process.getuid?.() !== 0 ? 'needs root (to run a private PostgreSQL as the postgres user)' : 'PostgreSQL server binaries not found under /usr/lib/postgresql (run scripts/setup.sh)';

if (canRun) {
  describe('PostgreSQL stopped under the control plane', { timeout: 120_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshcap-pg-outage-'));
    const data = join(dir, 'data');
    let port: number;
    let cp: TestControlPlane;
    const asPostgres = (file: string, args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', `${bin}/${file}`, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 90_000 });
    const start = () => asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, 'start']);
    const stop = () => asPostgres('pg_ctl', ['-D', data, '-w', '-m', 'fast', 'stop']);
    const policy = (name: string) => `type: MeshTimeout\nmesh: default\nname: ${name}\nspec:\n  targetRef: { kind: Mesh }\n  to:\n    - targetRef: { kind: Mesh }\n      default: { idleTimeout: 30s }\n`;

    beforeAll(async () => {
      chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })));
      asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
      port = await freePort();
      start();
      cp = await startTestApp({ store: await openStore({ url: `postgres://postgres@127.0.0.1:${port}/postgres`, dataDir: dir }), storePollMs: 500 });
    });

    afterAll(async () => {
      await cp?.close().catch(() => undefined);
      try {
        stop();
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it('answers 503 MESHCAP_ERR_STORE_UNAVAILABLE while it is down, keeps serving reads, and recovers without a restart', async () => {
      expect((await applyYaml(cp.app, policy('before'))).statusCode).toBe(200);
      stop();
      const refused = await applyYaml(cp.app, policy('during'));
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toMatchObject({ code: 'MESHCAP_ERR_STORE_UNAVAILABLE', message: expect.stringContaining('not reachable') });
      const token = await cp.app.inject({ method: 'POST', url: '/api/tokens/dataplane', headers: AUTH, payload: { name: 'web' } });
      expect(token.statusCode).toBe(503);
      expect(token.json().code).toBe('MESHCAP_ERR_STORE_UNAVAILABLE');
      // What it holds is still served.
      const list = await cp.app.inject({ url: '/api/meshes/default/policies' });
      expect(list.statusCode).toBe(200);
      expect(JSON.stringify(list.json())).toContain('before');
      start();
      const deadline = Date.now() + 30_000;
      let res = await applyYaml(cp.app, policy('after'));
      while (res.statusCode !== 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        res = await applyYaml(cp.app, policy('after'));
      }
      expect(res.statusCode).toBe(200);
      expect(JSON.stringify((await cp.app.inject({ url: '/api/meshes/default/policies' })).json())).toContain('after');
      expect((await cp.app.inject({ method: 'POST', url: '/api/tokens/dataplane', headers: AUTH, payload: { name: 'web' } })).statusCode).toBe(200);
    });
  });
} else if (inCI()) {
  describe('PostgreSQL stopped under the control plane', () => {
    it('runs in CI', () => {
      throw new Error(`cannot run: ${reason}`);
    });
  });
} else {
  describe.skip(`PostgreSQL stopped under the control plane (${reason})`, () => it('needs PostgreSQL', () => {}));
}
