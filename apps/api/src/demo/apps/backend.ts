/**
 * The demo's backend: a counter service over HTTP (Kuma's counter demo keeps its count in Redis; this
 * one keeps it in memory). No dependencies: it runs inside a workload namespace behind `meshcap dp`.
 *
 *   POST /increment  → {"counter": n, "instance": "..."}
 *   GET  /counter    → {"counter": n, "instance": "..."}
 *   GET  /health     → ok
 *
 * Flags: --port (default 8080), --host (default "::", every address), --name (instance name).
 * Prints `{"event":"listening","port":…}` once listening; exits 0 on SIGTERM/SIGINT.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { reply } from './reply.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '::' },
    name: { type: 'string', default: 'backend' },
  },
});

let counter = 0;

function handle(req: IncomingMessage, res: ServerResponse): void {
  // Requests carry no body we need; drain whatever comes so keep-alive connections stay usable.
  req.resume();
  req.on('end', () => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/increment' && req.method === 'POST') return reply(res, 200, { counter: ++counter, instance: values.name });
    if (path === '/counter' && (req.method === 'GET' || req.method === 'HEAD')) return reply(res, 200, { counter, instance: values.name });
    if (path === '/health') return reply(res, 200, 'ok\n');
    reply(res, 404, { error: `no route for ${req.method} ${path}` });
  });
}

const server = createServer({ keepAliveTimeout: 30_000 }, handle);
server.listen({ port: Number(values.port), host: values.host }, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : Number(values.port);
  process.stdout.write(`${JSON.stringify({ event: 'listening', app: 'backend', port })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
