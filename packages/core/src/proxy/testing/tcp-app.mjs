// Test TCP application. Modes: echo (default), halfclose (answer after the client's FIN),
// rst (reset on first data), count (answer the byte count after FIN), silent (never answer).
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' }, mode: { type: 'string' } } });
const mode = values.mode ?? 'echo';
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  const info = { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, localAddress: socket.localAddress, localPort: socket.localPort };
  out({ event: 'connection', ...info });
  let bytes = 0;
  let text = '';
  let how = 'fin';
  socket.on('data', (d) => {
    bytes += d.length;
    if (text.length < 1024) text += d.toString('latin1');
    if (mode === 'echo') socket.write(d);
    if (mode === 'rst') {
      how = 'reset-by-app';
      socket.resetAndDestroy();
    }
  });
  socket.on('end', () => {
    if (mode === 'halfclose') socket.end(`got:${text}`);
    else if (mode === 'count') socket.end(`count:${bytes}`);
    else if (mode !== 'silent') socket.end();
  });
  socket.on('error', (err) => (how = err.code ?? 'error'));
  socket.on('close', () => out({ event: 'closed', ...info, bytes, how }));
});
server.listen({ port: Number(values.port), host: values.host }, () => out({ event: 'listening', address: server.address() }));
process.on('SIGTERM', () => process.exit(0));
