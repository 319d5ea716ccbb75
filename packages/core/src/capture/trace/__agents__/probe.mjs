// Test agent for the trace differential: a named listener that answers with its name, or one connection
// that reports which listener answered. One JSON object per line on stdout.
//   probe.mjs listen  --proto tcp|udp --port P --name NAME [--host H (default :: dual-stack)]
//     → {"event":"listening"}, then per connection/datagram {"event":"connection","name",local…,remote…}
//   probe.mjs connect --proto tcp|udp --host H --port P [--local-address A] [--local-port P] [--timeout MS]
//     → {"event":"reply","data","localAddress","localPort"} or {"event":"error","code"}
import dgram from 'node:dgram';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    proto: { type: 'string', default: 'tcp' },
    host: { type: 'string' },
    port: { type: 'string' },
    name: { type: 'string' },
    'local-address': { type: 'string' },
    'local-port': { type: 'string' },
    timeout: { type: 'string', default: '5000' },
  },
});
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const port = Number(values.port);
const timeout = Number(values.timeout);
const localPort = values['local-port'] ? Number(values['local-port']) : undefined;
const localAddress = values['local-address'];

if (positionals[0] === 'listen') {
  if (values.proto === 'udp') {
    // A UDP server answers from the address it is bound to: bind the exact address a client sends to,
    // or the client's connected socket (and conntrack's reverse NAT) will not recognise the answer.
    const host = values.host ?? '::';
    const sock = net.isIPv4(host) ? dgram.createSocket('udp4') : dgram.createSocket({ type: 'udp6', ipv6Only: host !== '::' });
    sock.on('message', (msg, rinfo) => {
      const a = sock.address();
      out({ event: 'connection', name: values.name, localAddress: a.address, localPort: a.port, remoteAddress: rinfo.address, remotePort: rinfo.port });
      sock.send(values.name, rinfo.port, rinfo.address);
    });
    sock.bind({ port, address: host }, () => out({ event: 'listening' }));
  } else {
    const server = net.createServer((socket) => {
      out({ event: 'connection', name: values.name, localAddress: socket.localAddress, localPort: socket.localPort, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort });
      socket.on('error', () => {});
      socket.end(values.name);
    });
    server.listen({ port, host: values.host ?? '::' }, () => out({ event: 'listening' }));
  }
  process.on('SIGTERM', () => process.exit(0));
} else if (positionals[0] === 'connect') {
  const timer = setTimeout(() => {
    out({ event: 'error', code: 'ETIMEDOUT' });
    process.exit(2);
  }, timeout);
  const fail = (err) => {
    clearTimeout(timer);
    out({ event: 'error', code: err.code ?? String(err) });
    process.exit(1);
  };
  if (values.proto === 'udp') {
    const sock = dgram.createSocket(net.isIPv6(values.host) ? 'udp6' : 'udp4');
    sock.on('error', fail);
    sock.bind({ port: localPort ?? 0, address: localAddress }, () => {
      sock.connect(port, values.host, () => {
        sock.send('probe');
      });
    });
    sock.on('message', (msg) => {
      clearTimeout(timer);
      const a = sock.address();
      out({ event: 'reply', data: msg.toString(), localAddress: a.address, localPort: a.port });
      process.exit(0);
    });
  } else {
    const socket = net.connect({ host: values.host, port, localAddress, localPort });
    let data = '';
    let local = {};
    socket.setEncoding('utf8');
    socket.on('data', (d) => (data += d));
    socket.on('error', fail);
    socket.on('end', () => {
      clearTimeout(timer);
      out({ event: 'reply', data, ...local });
      process.exit(0);
    });
    socket.on('connect', () => {
      local = { localAddress: socket.localAddress, localPort: socket.localPort };
      socket.write('probe');
    });
  }
} else {
  process.stderr.write('usage: probe.mjs listen|connect …\n');
  process.exit(2);
}
