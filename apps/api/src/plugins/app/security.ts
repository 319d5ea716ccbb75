import { MeshcapError } from '@meshcap/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isIP } from 'node:net';
import { AuthFailureLimiter, bearerToken, type AuthFailureLimits } from '../../auth/index.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `admin`: needs the bearer token (default for POST/PUT/PATCH/DELETE); `read`: open to same-origin callers. */
    access?: 'admin' | 'read';
  }
}

export interface SecurityOptions {
  /** Host names (or addresses) the API answers to besides loopback ones: where it listens, --allowed-host. */
  allowedHosts?: readonly string[];
  /** Failed authentications allowed per client address before 429 (default 10 a minute). */
  authFailures?: AuthFailureLimits;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

/** `[::1]:5681` → `::1`; `example.com:80` → `example.com`. */
export function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']')).toLowerCase();
  const colon = host.lastIndexOf(':');
  return (colon > 0 && isIP(host) !== 6 ? host.slice(0, colon) : host).toLowerCase();
}

function sameOrigin(origin: string, host: string): boolean {
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false; // `null` (sandboxed frames, file:) and garbage
  }
}

function isUnixSocket(request: FastifyRequest): boolean {
  return request.raw.socket.remoteAddress === undefined;
}

/**
 * Same-origin only, and no DNS rebinding: the Host must be a loopback name or one we were told
 * about, and a browser request from any other origin is refused (no CORS headers are ever sent).
 * Routes that change anything need the admin bearer token.
 */
export default fp(
  async function securityPlugin(fastify: FastifyInstance, opts: SecurityOptions) {
    const allowed = new Set([...LOOPBACK_NAMES, ...(opts.allowedHosts ?? []).map((h) => hostName(h))]);

    fastify.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const access = route.config?.access ?? (methods.some((m) => MUTATING.has(m)) ? 'admin' : 'read');
      route.config = { ...route.config, access };
      if (access === 'admin' && route.schema) route.schema = { ...route.schema, security: [{ bearer: [] }] };
    });

    const failures = new AuthFailureLimiter(opts.authFailures);
    fastify.addHook('onRequest', async (request, reply) => {
      if (!isUnixSocket(request)) {
        const host = request.headers.host ?? '';
        if (!allowed.has(hostName(host))) {
          throw new MeshcapError('MESHCAP_ERR_CROSS_ORIGIN', `this control plane does not answer to host "${host}" (start it with --allowed-host ${hostName(host) || 'NAME'} to allow it)`);
        }
        const origin = request.headers.origin;
        if (origin !== undefined) {
          if (!sameOrigin(origin, host)) throw new MeshcapError('MESHCAP_ERR_CROSS_ORIGIN', `requests from origin "${origin}" are refused; the API serves its own origin only`);
        }
        const site = request.headers['sec-fetch-site'];
        if (site !== undefined && site !== 'same-origin' && site !== 'none') {
          throw new MeshcapError('MESHCAP_ERR_CROSS_ORIGIN', `a ${site} request is refused; the API serves its own origin only`);
        }
      }
      if (request.routeOptions.config.access !== 'admin') return;
      const client = request.raw.socket.remoteAddress ?? 'unix';
      const wait = failures.retryAfter(client);
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        throw new MeshcapError('MESHCAP_ERR_TOO_MANY_AUTH_FAILURES', `too many requests with a missing or wrong token from ${client}; retry in ${wait} s`);
      }
      const token = bearerToken(request.headers.authorization);
      if (!token) {
        failures.fail(client);
        throw new MeshcapError('MESHCAP_ERR_UNAUTHORIZED', 'this route changes state and needs the control plane token: Authorization: Bearer <token> (printed by `meshcap cp` at first start, kept in its data directory)');
      }
      const refusal = await fastify.checkAdminToken(token);
      if (refusal) {
        failures.fail(client);
        throw refusal;
      }
    });
  },
  { name: 'security', dependencies: ['tokens'] },
);
