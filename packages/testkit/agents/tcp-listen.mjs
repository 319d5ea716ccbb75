// Test agent: a TCP listener that reports each connection as a JSON line and echoes (or replies).
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' }, reply: { type: 'string' } } });
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

const server = net.createServer((socket) => {
  const info = {
    event: 'connection',
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort,
    localAddress: socket.localAddress,
    localPort: socket.localPort,
  };
  let data = '';
  socket.setEncoding('utf8');
  socket.on('data', (d) => {
    data += d;
    socket.end(values.reply ?? d);
  });
  socket.on('end', () => socket.end());
  socket.on('close', () => out({ ...info, data }));
  socket.on('error', () => {});
});
server.listen({ port: Number(values.port), host: values.host }, () => out({ event: 'listening', address: server.address() }));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
