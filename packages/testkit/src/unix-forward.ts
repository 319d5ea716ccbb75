import { existsSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A Unix socket that forwards each connection to a TCP address, run by the test process in its
 * own namespace. Network namespaces share the file system, so processes in test hosts reach a
 * service that listens on the root namespace's loopback (Debian's PostgreSQL) through it, and no
 * route or rule of the root namespace changes. `path` is `<dir>/<name>`; PostgreSQL clients take
 * `dir` as their host (`?host=DIR`, the socket being `DIR/.s.PGSQL.<port>`).
 */
export interface UnixForward {
  dir: string;
  path: string;
  /** Connections forwarded so far. */
  readonly connections: number;
  close(): Promise<void>;
}

export async function forwardUnixToTcp(target: { host: string; port: number }, name: string): Promise<UnixForward> {
  const dir = mkdtempSync(join(tmpdir(), 'meshcap-fwd-'));
  chmodSync(dir, 0o755);
  const path = join(dir, name);
  const open = new Set<net.Socket>();
  let connections = 0;
  // Half-open both ways, so a client's end() still gets the reply (as a real connection would).
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    connections++;
    const upstream = net.connect({ port: target.port, host: target.host, allowHalfOpen: true });
    open.add(client).add(upstream);
    const done = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o777);
  return {
    dir,
    path,
    get connections() {
      return connections;
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise((r) => server.close(r));
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
