/**
 * A real HTTP server on 127.0.0.1 for component tests: each test says what the control plane answers
 * on the routes it needs, and the page under test reaches it through the real API client and fetch
 * (the happy-dom window is moved to this origin, as the dashboard runs on the API's origin).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export interface ApiFixture {
  origin: string;
  requests: RecordedRequest[];
  on: (method: string, path: string, handler: Handler) => void;
  close: () => Promise<void>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

export async function startApiFixture(): Promise<ApiFixture> {
  const routes = new Map<string, Handler>();
  const requests: RecordedRequest[] = [];
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: RecordedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString() };
      requests.push(rec);
      const path = rec.url.split('?')[0] ?? '/';
      const handler = routes.get(`${rec.method} ${path}`);
      open.add(res);
      res.on('close', () => open.delete(res));
      if (!handler) return sendJson(res, 404, { code: 'MESHCAP_ERR_NOT_FOUND', message: `no route ${rec.method} ${path}`, issues: [] });
      void Promise.resolve(handler(rec, res)).catch((err: unknown) => sendJson(res, 500, { code: 'MESHCAP_ERR_INTERNAL', message: String(err), issues: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  (window as unknown as { happyDOM: { setURL: (url: string) => void } }).happyDOM.setURL(`${origin}/gui/`);
  return {
    origin,
    requests,
    on: (method, path, handler) => void routes.set(`${method} ${path}`, handler),
    close: async () => {
      for (const res of open) res.destroy();
      // Requests the page fired last (refetches after a change) get a moment to arrive and be
      // answered, then idle keep-alive sockets go, then whatever is left.
      await new Promise((resolve) => setTimeout(resolve, 50));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), 1_000);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      clearTimeout(force);
    },
  };
}
