// Test agent: a listener on a transparent socket (listenTransparent) that reports each accepted
// connection's addresses, then either replies "transparent" or relays to an upstream.
//   transparent-server.ts --host H --port P [--ipv6-only]
//                         [--upstream-host U --upstream-port UP --upstream-mark M]
// With an upstream, it connects there with connectMarked({ transparent: true, localAddress: the
// client's address }), sends what the client sent, and returns the upstream's reply to the client.
// Prints {"event":"listening"}, per connection {"event":"connection", localAddress, localPort,
// remoteAddress, remotePort, originalDestinationCode} (the error code originalDestination() gives,
// expected ENOENT: TPROXY does no NAT), per upstream {"event":"upstream", localAddress, localPort, mark}, and
// {"event":"error", ...} for failures (the process exits 1 if listening fails).
import net from 'node:net';
import { parseArgs } from 'node:util';
import { connectMarked, getSocketMark, listenTransparent, originalDestination } from '../src/index.ts';
import { emit, errorFields } from './emit.ts';

const { values } = parseArgs({
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    'ipv6-only': { type: 'boolean' },
    'upstream-host': { type: 'string' },
    'upstream-port': { type: 'string' },
    'upstream-mark': { type: 'string' },
  },
});

function relay(client: net.Socket, upstreamHost: string): void {
  const upstream = connectMarked({
    host: upstreamHost,
    port: Number(values['upstream-port']),
    mark: Number(values['upstream-mark'] ?? 0),
    localAddress: client.remoteAddress,
    transparent: true,
  });
  upstream.on('connect', () => {
    emit('upstream', { localAddress: upstream.localAddress, localPort: upstream.localPort, mark: getSocketMark(upstream) });
  });
  upstream.on('error', (err) => {
    emit('error', errorFields(err));
    client.destroy();
  });
  client.pipe(upstream).pipe(client);
}

function originalDestinationCode(socket: net.Socket): string | undefined {
  try {
    originalDestination(socket);
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code;
  }
}

const server = net.createServer((client) => {
  emit('connection', {
    localAddress: client.localAddress,
    localPort: client.localPort,
    remoteAddress: client.remoteAddress,
    remotePort: client.remotePort,
    originalDestinationCode: originalDestinationCode(client),
  });
  client.on('error', () => {});
  const upstreamHost = values['upstream-host'];
  if (upstreamHost === undefined) client.end('transparent');
  else relay(client, upstreamHost);
});

try {
  const address = await listenTransparent(server, {
    host: values.host ?? '0.0.0.0',
    port: Number(values.port),
    ipv6Only: values['ipv6-only'],
  });
  emit('listening', { address });
} catch (err) {
  emit('error', errorFields(err));
  process.exit(1);
}
