// Test agent: a TPROXY target. Listens with IP_TRANSPARENT on 0.0.0.0:PORT and [::]:PORT (v6-only),
// answers each connection with NAME and reports it as a JSON line (localAddress is the original destination).
//   transparent-listen.ts --port P --name NAME
import net from 'node:net';
import { parseArgs } from 'node:util';
import { listenTransparent } from '@meshcap/native';

const { values } = parseArgs({ options: { port: { type: 'string' }, name: { type: 'string', default: 'transparent' } } });
const out = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
const serve = (): net.Server =>
  net.createServer((socket) => {
    out({ event: 'connection', name: values.name, localAddress: socket.localAddress, localPort: socket.localPort, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort });
    socket.on('error', () => {});
    socket.end(values.name);
  });
const port = Number(values.port);
await listenTransparent(serve(), { host: '0.0.0.0', port });
await listenTransparent(serve(), { host: '::', port, ipv6Only: true });
out({ event: 'listening' });
process.on('SIGTERM', () => process.exit(0));
