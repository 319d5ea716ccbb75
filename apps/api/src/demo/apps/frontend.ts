/**
 * The demo's frontend (Kuma's counter demo app): every `GET /` increments the backend's counter and
 * answers with it. It calls the backend at the backend's own address (`--backend`); with transparent
 * proxying the kernel hands that connection to the frontend's dataplane (15001) without the app
 * knowing, without it the URL points at the dataplane's explicit outbound listener.
 *
 *   GET /        → {"counter": n, "backend": status}   (502/504 when the backend call fails)
 *   GET /health  → ok
 *
 * Flags: --port (default 5000), --host (default "::"), --backend (URL, required),
 * --backend-timeout-ms (default 10000), --keep-alive (reuse backend connections; by default each
 * call opens its own, so every hop's capture rules count it). Prints `{"event":"listening",…}`; exits 0 on SIGTERM/SIGINT.
 */
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { reply } from './reply.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '5000' },
    host: { type: 'string', default: '::' },
    backend: { type: 'string' },
    'backend-timeout-ms': { type: 'string', default: '10000' },
    'keep-alive': { type: 'boolean', default: false },
  },
});
if (!values.backend) {
  process.stderr.write('frontend: --backend URL is required\n');
  process.exit(2);
}
const backend = new URL('/increment', values.backend);
const backendTimeoutMs = Number(values['backend-timeout-ms']);
const agent = new Agent({ keepAlive: values['keep-alive'], maxSockets: 16 });

/** POST /increment on the backend; resolves with its status and parsed body (bounded to 64 KiB). */
function increment(requestId: string | undefined): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(backend, { method: 'POST', agent, headers: requestId ? { 'x-request-id': requestId } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (text.length < 65_536) text += chunk;
      });
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON (an error page from the proxy): keep the text
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    });
    req.setTimeout(backendTimeoutMs, () => req.destroy(Object.assign(new Error('backend timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  req.resume();
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/health') return reply(res, 200, 'ok\n');
  if (path !== '/' || (req.method !== 'GET' && req.method !== 'HEAD')) return reply(res, 404, { error: `no route for ${req.method} ${path}` });
  const requestId = req.headers['x-request-id'];
  try {
    const answer = await increment(typeof requestId === 'string' ? requestId : undefined);
    const counter = (answer.body as { counter?: unknown } | null)?.counter;
    if (answer.status !== 200) return reply(res, 502, { error: 'backend answered with an error', backend: answer.status, detail: answer.body });
    reply(res, 200, { counter, backend: answer.status });
  } catch (err) {
    const code = (err as { code?: string }).code;
    reply(res, code === 'ETIMEDOUT' ? 504 : 502, { error: `backend unreachable: ${code ?? (err as Error).message}` });
  }
}

const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => void handle(req, res));
server.listen({ port: Number(values.port), host: values.host }, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : Number(values.port);
  process.stdout.write(`${JSON.stringify({ event: 'listening', app: 'frontend', port, backend: backend.href })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    agent.destroy();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
