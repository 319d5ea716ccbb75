// What the loopback harnesses share: a free port and the 1 KiB origin in its own process.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

export /** The origin, in its own process: answers every request head with 200 and 1 KiB. */
function startOrigin(port: number): ChildProcess {
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
