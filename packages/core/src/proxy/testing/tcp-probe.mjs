// Test TCP client; prints one {"event":"result",...} line. Modes:
//   send: write --send, half-close, read until the server ends;  halfclose: same, checks the FIN went through
//   rst: write and expect a reset;  bulk: write --bytes bytes with backpressure, FIN, read the answer
//   idle: write once, then wait until the connection is closed by someone;  connect: only connect
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { host: { type: 'string' }, port: { type: 'string' }, mode: { type: 'string' }, send: { type: 'string' }, bytes: { type: 'string' }, timeout: { type: 'string' } },
});
const mode = values.mode ?? 'send';
const started = performance.now();
const result = (o) => {
  process.stdout.write(`${JSON.stringify({ event: 'result', mode, elapsedMs: Math.round(performance.now() - started), ...o })}\n`);
  process.exit(0);
};
const socket = net.connect({ host: values.host, port: Number(values.port), allowHalfOpen: true });
setTimeout(() => result({ error: 'PROBE_TIMEOUT' }), Number(values.timeout ?? 10_000)).unref();
let data = '';
let connected = false;
socket.on('data', (d) => (data += d.toString('latin1')));
socket.on('error', (err) => result({ connected, error: err.code, data }));
socket.on('connect', () => {
  connected = true;
  if (mode === 'connect') return result({ connected: true, localAddress: socket.localAddress, localPort: socket.localPort });
  if (mode === 'bulk') {
    let left = Number(values.bytes);
    const pump = () => {
      while (left > 0) {
        const chunk = randomBytes(Math.min(left, 256 * 1024));
        left -= chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      socket.end();
    };
    return pump();
  }
  socket.write(values.send ?? 'hello');
  if (mode === 'send' || mode === 'halfclose') socket.end();
});
socket.on('end', () => {
  if (mode === 'idle') return result({ connected, data, closed: true });
  // The server's FIN: with half-close kept, our FIN went first and its answer came after.
  result({ connected, data, ended: true });
});
socket.on('close', (hadError) => {
  if (!hadError) result({ connected, data, closed: true });
});
