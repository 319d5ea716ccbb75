import type { ServerResponse } from 'node:http';

/** Ends `res` with `body`: JSON for objects, text/plain for strings, always with a Content-Length (keep-alive friendly). */
export function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
