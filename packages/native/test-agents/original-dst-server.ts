// Test agent: a plain listener that reports originalDestination() for every accepted connection.
//   original-dst-server.ts --port P [--host H]
// Prints {"event":"listening"}, then per connection {"event":"connection", localAddress, localPort,
// remoteAddress, remotePort, original} or {..., error: {code, errno, syscall, message}}; replies "ok".
import net from 'node:net';
import { parseArgs } from 'node:util';
import { originalDestination } from '../src/index.ts';
import { emit, errorFields } from './emit.ts';

const { values } = parseArgs({ options: { host: { type: 'string' }, port: { type: 'string' } } });

const server = net.createServer((socket) => {
  const seen = {
    localAddress: socket.localAddress,
    localPort: socket.localPort,
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort,
  };
  try {
    emit('connection', { ...seen, original: originalDestination(socket) });
  } catch (err) {
    emit('connection', { ...seen, error: errorFields(err) });
  }
  socket.on('error', () => {});
  socket.end('ok');
});
server.on('error', (err) => {
  emit('error', errorFields(err));
  process.exit(1);
});
server.listen({ host: values.host, port: Number(values.port) }, () => emit('listening', { address: server.address() }));
