// What the loopback harnesses share: a free port, the 1 KiB origin in its own process, a child's
// ready line, the one-inbound Dataplane they put in front of the origin, HAProxy (one thread, HTTP
// mode) and h2load over HTTP/1.1.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** The origin, in its own process: answers every request head with 200 and 1 KiB. */
export function startOrigin(port: number): ChildProcess {
  const src = `
    const net = require('node:net');
    const res = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\\r\\ncontent-type: application/octet-stream\\r\\ncontent-length: 1024\\r\\n\\r\\n'), Buffer.alloc(1024, 'x')]);
    net.createServer((s) => {
      s.setNoDelay(true);
      let tail = '';
      s.on('data', (d) => {
        const t = tail + d.toString('latin1');
        let i = 0, n = 0;
        while ((i = t.indexOf('\\r\\n\\r\\n', i)) >= 0) { n++; i += 4; }
        tail = t.slice(t.lastIndexOf('\\r\\n\\r\\n') + 4 || 0).slice(-3);
        for (let k = 0; k < n; k++) s.write(res);
      });
      s.on('error', () => {});
    }).listen(${port}, '127.0.0.1', () => process.stdout.write('ready\\n'));`;
  return spawn(process.execPath, ['-e', src], { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** The first line of the child's output (stdout and stderr) that `match` takes; fails if it exits first or after `timeoutMs`. */
export function waitLine(proc: ChildProcess, match: (line: string) => boolean, timeoutMs = 60_000): Promise<string> {
  return new Promise((res, rej) => {
    let buf = '';
    const timer = setTimeout(() => rej(new Error(`no ready line in ${timeoutMs} ms:\n${buf}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      buf += d.toString();
      for (const line of buf.split('\n'))
        if (match(line)) {
          clearTimeout(timer);
          proc.stdout?.off('data', onData);
          proc.stderr?.off('data', onData);
          res(line);
          return;
        }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', (code) => rej(new Error(`exited ${code} before ready:\n${buf}`)));
  });
}

/** `<dir>/dp-<port>.yaml`: Dataplane `bench` with one inbound on 127.0.0.1:`port` in front of the origin on `appPort`. */
export function writeBenchDataplane(dir: string, port: number, appPort: number, protocol = 'http'): string {
  const file = join(dir, `dp-${port}.yaml`);
  writeFileSync(
    file,
    `type: Dataplane
mesh: default
name: bench
networking:
  address: 127.0.0.1
  inbound:
    - port: ${port}
      servicePort: ${appPort}
      serviceAddress: 127.0.0.1
      tags: { kuma.io/service: bench, kuma.io/protocol: ${protocol} }
`,
  );
  return file;
}

/** Waits until an HTTP/1.1 request to 127.0.0.1:`port` gets an answer (bounded: 10 s). */
export async function waitHttp(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      execFileSync('h2load', ['--h1', '-n', '1', '-c', '1', `http://127.0.0.1:${port}/`], { stdio: 'ignore' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nothing answers HTTP on 127.0.0.1:${port}`);
}

/** HAProxy in HTTP mode, one thread, with `sections` (its frontend and backends) from `<dir>/<name>.cfg`; resolves once `port` answers. */
export async function startHaproxy(dir: string, name: string, port: number, sections: string): Promise<ChildProcess> {
  const cfg = join(dir, `${name}.cfg`);
  writeFileSync(cfg, `global\n  nbthread 1\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n  option http-keep-alive\n${sections}`);
  const proc = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'inherit'] });
  await waitHttp(port);
  return proc;
}

/** h2load over HTTP/1.1 (keep-alive, one request at a time per connection): `n` requests to 127.0.0.1:`port`/x. */
export function h2load(port: number, n: number, connections = 16, threads = 1): { rps: number; ok: number } {
  const out = execFileSync('h2load', ['--h1', '-n', String(n), '-c', String(connections), '-t', String(threads), '-m', '1', `http://127.0.0.1:${port}/x`], { encoding: 'utf8' });
  return { rps: Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out)?.[1]), ok: Number(/status codes: (\d+) 2xx/.exec(out)?.[1]) };
}
