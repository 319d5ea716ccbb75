import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { textResponse } from '../schemas/common.ts';

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The API reference as one static HTML page rendered from the OpenAPI document (no scripts). */
export function renderDocsPage(spec: { info?: { title?: string; description?: string }; paths?: Record<string, Record<string, Operation>> }): string {
  const rows: string[] = [];
  for (const [path, item] of Object.entries(spec.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const auth = op.security?.length ? '<span class="auth">token</span>' : '';
      rows.push(
        `<tr><td class="m ${method}">${method.toUpperCase()}</td><td><code>${escapeHtml(path)}</code> ${auth}</td><td>${escapeHtml(op.summary ?? '')}${
          op.description ? `<div class="d">${escapeHtml(op.description)}</div>` : ''
        }</td></tr>`,
      );
    }
  }
  const title = escapeHtml(spec.info?.title ?? 'API');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1f2328}
table{border-collapse:collapse;width:100%}td{border-top:1px solid #d0d7de;padding:.4rem .6rem;vertical-align:top}
.m{font-weight:600;width:4rem}.get{color:#0969da}.post{color:#1a7f37}.put{color:#9a6700}.delete{color:#cf222e}
.d{color:#59636e}.auth{font-size:11px;border:1px solid #9a6700;border-radius:4px;padding:0 4px;color:#9a6700}
@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}td{border-color:#30363d}.d{color:#9198a1}}
</style></head><body>
<h1>${title}</h1><p>${escapeHtml(spec.info?.description ?? '')}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<table><tbody>
${rows.join('\n')}
</tbody></table></body></html>
`;
}

export default async function docsRoutes(fastify: FastifyInstance) {
  fastify.get(
    '/openapi.json',
    { schema: { hide: true, response: { 200: z.record(z.string(), z.unknown()) } } },
    async () => fastify.swagger() as unknown as Record<string, unknown>,
  );
  fastify.get('/docs', { schema: { hide: true, response: { 200: textResponse('HTML page', 'text/html') } } }, async (_request, reply) => {
    return reply.type('text/html; charset=utf-8').send(renderDocsPage(fastify.swagger() as Parameters<typeof renderDocsPage>[0]));
  });
}
