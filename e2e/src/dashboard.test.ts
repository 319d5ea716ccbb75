import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, OUTPUT_DIR } from './browser.ts';

const require = createRequire(import.meta.url);
const webDir = dirname(require.resolve('@meshcap/web/package.json'));
const nextBin = require.resolve('next/dist/bin/next', { paths: [webDir] });

describe('dashboard in Chromium', () => {
  let server: ChildProcess;
  let url: string;

  beforeAll(async () => {
    // The production build that `turbo run build` made before the tests.
    server = spawn(process.execPath, [nextBin, 'start', '--port', '0', '--hostname', '127.0.0.1'], { cwd: webDir, stdio: ['ignore', 'pipe', 'pipe'] });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`next start did not come up: ${out}`)), 60_000);
      server.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(`http://127.0.0.1:${m[1]}/gui`);
        }
      });
      server.on('exit', (code) => reject(new Error(`next start exited ${code}: ${out}`)));
    });
  });

  afterAll(() => {
    server?.kill('SIGTERM');
  });

  it('renders the overview page', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(url);
      await expect(page.getByRole('heading', { name: 'meshcap' }).textContent()).resolves.toBe('meshcap');
      mkdirSync(OUTPUT_DIR, { recursive: true });
      await page.screenshot({ path: join(OUTPUT_DIR, 'overview.png') });
    } finally {
      await browser.close();
    }
  });
});
