// Test HTTP application for the policy tests. On every port given with --port:
//   /flaky?key=K&fail=N  503 for the first N requests with key K, then 200
//   /reset?key=K&fail=N  resets the connection (RST, no answer) for the first N requests with key K, then 200
//                        with `connection: close`, so every request here comes on a fresh connection
//   /slow?ms=N           answers after N ms
//   /bytes?n=N           N bytes of body
//   anything else        200 with what it saw (method, path, headers, remote address)
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', multiple: true }, host: { type: 'string' } } });
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const seen = new Map();

const handler = (req, res) => {
  const url = new URL(req.url, 'http://app');
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const info = () => JSON.stringify({ method: req.method, path: req.url, port: req.socket.localPort, remoteAddress: req.socket.remoteAddress, headers: req.headers });
  req.resume();
  req.on('end', () => {
    if (url.pathname === '/flaky' || url.pathname === '/reset') {
      const key = url.searchParams.get('key') ?? '';
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      out({ event: url.pathname.slice(1), key, n });
      const failing = n <= Number(url.searchParams.get('fail') ?? '0');
      if (url.pathname === '/reset') {
        if (failing) return void req.socket.resetAndDestroy();
        res.setHeader('connection', 'close');
      }
      return send(failing ? 503 : 200, JSON.stringify({ key, n }));
    }
    if (url.pathname === '/slow') return void setTimeout(() => send(200, info()), Number(url.searchParams.get('ms') ?? '1000'));
    if (url.pathname === '/bytes') return send(200, 'b'.repeat(Number(url.searchParams.get('n') ?? '0')));
    send(200, info());
  });
};

for (const port of values.port ?? []) {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 30_000;
  server.listen({ port: Number(port), host: values.host }, () => out({ event: 'listening', port: Number(port) }));
}
process.on('SIGTERM', () => process.exit(0));
