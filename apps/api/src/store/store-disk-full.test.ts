import { inCI } from '@meshcap/testkit';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Disk full under the SQLite store: a 2 MiB tmpfs mounted in a private mount namespace (unshare -m,
// so the host's mounts never see it), filled while the app runs. A change is refused with a coded
// 507 MESHCAP_ERR_STORE_FULL naming the cause, reads go on, and once space is freed changes work again.

const CHILD = fileURLToPath(new URL('./disk-full-child.ts', import.meta.url));
const root = process.getuid?.() === 0;

describe.runIf(root || inCI())('SQLite store on a full disk', () => {
  it('refuses the change with 507 MESHCAP_ERR_STORE_FULL, keeps serving reads, and takes changes once space is back', async () => {
    if (!root) throw new Error('needs root (mount namespace and tmpfs)');
    const dir = mkdtempSync(join(tmpdir(), 'meshcap-disk-full-'));
    try {
      const out = await new Promise<string>((resolve, reject) =>
        execFile('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs -o size=2m tmpfs "$1" && exec "$0" --import tsx "$2" "$1"', process.execPath, dir, CHILD], { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
      );
      const seen = JSON.parse(out.trim().split('\n').at(-1)!) as { before: number; full: { status: number; body: { code: string; message: string } }; read: number; after: number };
      expect(seen.before).toBe(200);
      expect(seen.full.status).toBe(507);
      expect(seen.full.body).toMatchObject({ code: 'MESHCAP_ERR_STORE_FULL', message: expect.stringContaining('full') });
      expect(seen.read).toBe(200);
      expect(seen.after).toBe(200);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
