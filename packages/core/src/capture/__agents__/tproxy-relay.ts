// Test agent: the inbound half of a TPROXY dataplane, as small as it gets. Listens on a transparent
// socket; each accepted connection's local address is its original destination, so it connects
// there from the client's own address (IP_TRANSPARENT) with SO_MARK --mark (the TPROXY mark the
// rules save and restore, which routes the app's replies back here) and relays both ways.
//   tproxy-relay.ts --port P --mark M
// Prints {"event":"listening"}, then per connection {"event":"relay", client, destination, upstreamLocal}.
import net from 'node:net';
import { parseArgs } from 'node:util';
import { connectMarked, listenTransparent } from '@meshcap/native';

const { values } = parseArgs({ options: { port: { type: 'string' }, mark: { type: 'string' } } });
const out = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ ...o })}\n`);
// A dual-stack listener sees IPv4 as ::ffff:a.b.c.d; the outgoing socket wants the plain family.
const plain = (address = '') => address.replace(/^::ffff:(?=\d+\.)/, '');

const server = net.createServer((client) => {
  client.on('error', () => {});
  const upstream = connectMarked({
    host: plain(client.localAddress),
    port: client.localPort ?? 0,
    mark: Number(values.mark),
    localAddress: plain(client.remoteAddress),
    transparent: true,
  });
  upstream.on('connect', () => {
    out({ event: 'relay', client: plain(client.remoteAddress), destination: `${plain(client.localAddress)}:${client.localPort}`, upstreamLocal: plain(upstream.localAddress) });
  });
  upstream.on('error', (err) => {
    out({ event: 'error', code: (err as NodeJS.ErrnoException).code, message: err.message });
    client.destroy();
  });
  client.pipe(upstream).pipe(client);
});

try {
  await listenTransparent(server, { host: '::', port: Number(values.port) });
  out({ event: 'listening' });
} catch (err) {
  out({ event: 'error', code: (err as NodeJS.ErrnoException).code, message: (err as Error).message });
  process.exit(1);
}
process.on('SIGTERM', () => server.close(() => process.exit(0)));
