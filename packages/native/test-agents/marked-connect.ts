// Test agent: one upstream connection through connectMarked().
//   marked-connect.ts --host H --port P --mark M [--local-address A] [--transparent] [--send TEXT]
// Prints {"event":"connected", localAddress, localPort, mark} then {"event":"reply", data}, or
// {"event":"error", code, errno, syscall, message} (also for synchronous failures such as EPERM).
import { parseArgs } from 'node:util';
import { connectMarked, getSocketMark } from '../src/index.ts';
import { emit, errorFields } from './emit.ts';

const { values } = parseArgs({
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    mark: { type: 'string' },
    'local-address': { type: 'string' },
    transparent: { type: 'boolean' },
    send: { type: 'string' },
  },
});

try {
  const socket = connectMarked({
    host: values.host ?? '',
    port: Number(values.port),
    mark: Number(values.mark),
    localAddress: values['local-address'],
    transparent: values.transparent,
  });
  let data = '';
  socket.setEncoding('utf8');
  socket.setTimeout(5_000, () => {
    emit('error', { code: 'ETIMEDOUT' });
    process.exit(2);
  });
  socket.on('connect', () => {
    emit('connected', { localAddress: socket.localAddress, localPort: socket.localPort, mark: getSocketMark(socket) });
    socket.end(values.send ?? 'ping');
  });
  socket.on('data', (chunk: string) => (data += chunk));
  socket.on('end', () => {
    emit('reply', { data });
    process.exit(0);
  });
  socket.on('error', (err) => {
    emit('error', errorFields(err));
    process.exit(1);
  });
} catch (err) {
  emit('error', errorFields(err));
  process.exit(1);
}
