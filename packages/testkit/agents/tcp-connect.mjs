// Test agent: connects once, sends a line, prints what came back (or the error code) as JSON lines.
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { host: { type: 'string' }, port: { type: 'string' }, send: { type: 'string' }, timeout: { type: 'string' } },
});
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const socket = net.connect({ host: values.host, port: Number(values.port) });
socket.setTimeout(Number(values.timeout ?? 5000), () => {
  out({ event: 'error', code: 'ETIMEDOUT' });
  process.exit(2);
});
let data = '';
socket.setEncoding('utf8');
socket.on('connect', () => {
  out({ event: 'connected', localAddress: socket.localAddress, localPort: socket.localPort });
  socket.write(values.send ?? 'ping');
});
socket.on('data', (d) => (data += d));
socket.on('end', () => {
  out({ event: 'reply', data });
  process.exit(0);
});
socket.on('error', (err) => {
  out({ event: 'error', code: err.code });
  process.exit(1);
});
