import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import http from 'node:http';
import { textResponse } from '../schemas/common.ts';

export interface GuiOptions {
  /** The dashboard server to proxy to (`next start`), or undefined when apps/web is not built. */
  upstream?: string;
  /** Shown when there is no build: where the sources are. */
  webDir: string;
}

/** Headers that describe one hop, not the message (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

function notBuiltPage(webDir: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>meshcap dashboard not built</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:3rem auto;max-width:40rem;padding:0 1rem}code,pre{background:#f3f3f3;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>The dashboard is not built yet</h1>
<p>This control plane serves the dashboard from the production build of <code>${webDir.replace(/[<>&]/g, '')}</code>, and there is none.</p>
<p>Build it once, then restart <code>meshcap cp</code>:</p>
<pre>npm run build --workspace @meshcap/web</pre>
<p>The API works without it: <a href="/docs">API reference</a>, <a href="/openapi.json">OpenAPI</a>.</p></body></html>
`;
}

function proxy(upstream: string, request: FastifyRequest, reply: FastifyReply): void {
  reply.hijack();
  const res = reply.raw;
  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(request.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
  headers['x-forwarded-host'] = request.headers.host;
  headers['x-forwarded-proto'] = 'http';
  const target = new URL(request.raw.url ?? '/', upstream);
  const out = http.request(target, { method: request.method, headers }, (upstreamRes) => {
    const back: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(upstreamRes.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) back[k] = v;
    res.writeHead(upstreamRes.statusCode ?? 502, back);
    upstreamRes.pipe(res);
  });
  out.on('error', () => {
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'MESHCAP_ERR_INTERNAL', message: 'the dashboard server is not answering', issues: [] }));
    } else res.destroy();
  });
  request.raw.pipe(out);
}

/** `/` → `/gui`; `/gui/*` → the dashboard's `next start` (same origin as the API, so no CORS). */
export default async function guiRoutes(fastify: FastifyInstance, opts: GuiOptions) {
  fastify.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/gui', 302));
  await fastify.register(async (scoped) => {
    // Only reads reach the dashboard server (GET, and the HEAD Fastify adds): the dashboard has no
    // server actions, and every change goes through the API's token-checked routes.
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      if (!opts.upstream) return reply.code(503).type('text/html; charset=utf-8').send(notBuiltPage(opts.webDir));
      proxy(opts.upstream, request, reply);
      return reply;
    };
    const config = { access: 'read' as const };
    const schema = { hide: true, response: { 503: textResponse('the dashboard is not built', 'text/html') } };
    scoped.route({ method: 'GET', url: '/gui', config, schema, handler });
    scoped.route({ method: 'GET', url: '/gui/*', config, schema, handler });
  });
}
