// Test HTTP application: reports who called, streams bodies, answers statuses, echoes WebSocket frames.
import { createHash } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' } } });
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const json = (res, status, value) => {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://app');
  const info = {
    method: req.method,
    path: req.url,
    remoteAddress: req.socket.remoteAddress,
    remotePort: req.socket.remotePort,
    localAddress: req.socket.localAddress,
    localPort: req.socket.localPort,
    headers: req.headers,
  };
  if (url.pathname === '/bytes') {
    // A streamed (chunked) response of n bytes, written with backpressure.
    let left = Number(url.searchParams.get('n') ?? '0');
    const block = Buffer.alloc(64 * 1024, 'b');
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, block.length);
        left -= n;
        if (!res.write(n === block.length ? block : block.subarray(0, n))) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
    return;
  }
  if (url.pathname === '/count') {
    const hash = createHash('sha256');
    let received = 0;
    req.on('data', (c) => {
      received += c.length;
      hash.update(c);
    });
    req.on('end', () => json(res, 200, { received, sha256: hash.digest('hex'), headers: req.headers }));
    return;
  }
  if (url.pathname === '/echo') {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    req.pipe(res);
    return;
  }
  const status = /^\/status\/(\d{3})$/.exec(url.pathname);
  if (status) return json(res, Number(status[1]), info);
  if (url.pathname === '/slow') {
    setTimeout(() => json(res, 200, info), Number(url.searchParams.get('ms') ?? '1000'));
    return;
  }
  json(res, 200, info);
});

server.on('connection', (s) => out({ event: 'connection', remoteAddress: s.remoteAddress, remotePort: s.remotePort, localAddress: s.localAddress, localPort: s.localPort }));

// WebSocket echo: enough of RFC 6455 for one client (frames up to 64 KiB).
server.on('upgrade', (req, socket) => {
  const key = req.headers['sec-websocket-key'];
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  let buf = Buffer.alloc(0);
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2) {
      const opcode = buf[0] & 0x0f;
      let len = buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      }
      const masked = (buf[1] & 0x80) !== 0;
      if (buf.length < off + (masked ? 4 : 0) + len) return;
      const mask = masked ? buf.subarray(off, off + 4) : null;
      off += masked ? 4 : 0;
      const payload = Buffer.from(buf.subarray(off, off + len));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
      buf = buf.subarray(off + len);
      const head = payload.length < 126 ? Buffer.from([0x80 | opcode, payload.length]) : Buffer.from([0x80 | opcode, 126, payload.length >> 8, payload.length & 0xff]);
      socket.write(Buffer.concat([head, payload]));
      if (opcode === 8) socket.end();
    }
  });
  socket.on('error', () => {});
});

server.keepAliveTimeout = 30_000;
server.listen({ port: Number(values.port), host: values.host }, () => out({ event: 'listening', address: server.address() }));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
