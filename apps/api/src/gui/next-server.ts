import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Where the dashboard's sources live: apps/web beside this package. */
export const DEFAULT_WEB_DIR = join(import.meta.dirname, '..', '..', '..', 'web');

export function isWebBuilt(webDir: string): boolean {
  return existsSync(join(webDir, '.next', 'BUILD_ID'));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface NextServer {
  /** `http://127.0.0.1:PORT`, reachable only from this host. */
  origin: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * The dashboard's production server: `next start` of apps/web's build, as a child on a loopback
 * port the control plane proxies `/gui` to. Next is the web package's own dependency, resolved
 * from there.
 */
export async function startNextServer(webDir: string, log: (message: string) => void): Promise<NextServer> {
  const nextBin = createRequire(join(webDir, 'package.json')).resolve('next/dist/bin/next');
  const port = await freePort();
  const child = spawn(process.execPath, [nextBin, 'start', '--port', String(port), '--hostname', '127.0.0.1'], {
    cwd: webDir,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (d: Buffer) => {
    if (output.length < 16_384) output += d.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Ready when it answers on the port (bounded: 30 s).
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await fetch(`http://127.0.0.1:${port}/gui`, { redirect: 'manual' }).then(
      (r) => r.status,
      () => 0,
    );
    if (status > 0) break;
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}: ${output.trim().split('\n').slice(-5).join(' ')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`next start did not answer within 30 s: ${output.trim().split('\n').slice(-5).join(' ')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.on('exit', (code, signal) => log(`dashboard server exited (${signal ?? code})`));
  return {
    origin: `http://127.0.0.1:${port}`,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
