import { errorRegistry, formatPath, MeshcapError, type ErrorIssue, type MeshcapErrorCode } from '@meshcap/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { RequestValidationError } from '../../schemas/zod-provider.ts';
import { isStoreUnreachable } from '../../store/index.ts';

/** The one error body every route answers with: `{code, message, issues}`. */
export interface ErrorBody {
  code: MeshcapErrorCode;
  message: string;
  issues: ErrorIssue[];
}

const PART_NAMES: Record<string, string> = { querystring: 'query', params: 'params', body: 'body', headers: 'headers' };

/** Fastify's own 4xx errors (content-type parser, body limit…) by status. */
const FASTIFY_STATUS_CODES: Record<number, MeshcapErrorCode> = {
  413: 'MESHCAP_ERR_PAYLOAD_TOO_LARGE',
  415: 'MESHCAP_ERR_UNSUPPORTED_MEDIA_TYPE',
};

function fromValidation(err: RequestValidationError): ErrorBody {
  const part = PART_NAMES[err.part] ?? err.part;
  const issues = err.issues.map((i) => ({ path: formatPath([part, ...(i.path as PropertyKey[])]), message: i.message }));
  return {
    code: 'MESHCAP_ERR_INVALID_REQUEST',
    message: issues.map((i) => `${i.path}: ${i.message}`).join('; '),
    issues,
  };
}

/**
 * Maps any error to its status and body. 4xx say what and where; 5xx never carry internals
 * (the message names the request id; the log has the rest).
 */
export function errorResponse(err: unknown, requestId: string): { status: number; body: ErrorBody; internal: boolean } {
  if (err instanceof MeshcapError) {
    return { status: err.status, body: err.toJSON(), internal: err.status >= 500 };
  }
  if (err instanceof RequestValidationError) return { status: 400, body: fromValidation(err), internal: false };
  const fastifyErr = err as Partial<FastifyError>;
  const status = fastifyErr.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && typeof fastifyErr.code === 'string' && fastifyErr.code.startsWith('FST_')) {
    const code = FASTIFY_STATUS_CODES[status] ?? 'MESHCAP_ERR_INVALID_REQUEST';
    return { status: errorRegistry[code].status === status ? status : 400, body: { code, message: fastifyErr.message ?? errorRegistry[code].summary, issues: [] }, internal: false };
  }
  // A route that reads the store directly (tokens) while PostgreSQL is away.
  if (isStoreUnreachable(err)) {
    return { status: 503, body: { code: 'MESHCAP_ERR_STORE_UNAVAILABLE', message: `the store is not reachable (${(err as Error).message}); retry when it is back`, issues: [] }, internal: false };
  }
  return {
    status: 500,
    body: { code: 'MESHCAP_ERR_INTERNAL', message: `internal error (request ${requestId}); the control plane log has the details`, issues: [] },
    internal: true,
  };
}

/**
 * Errors the router raises before any route or hook runs (a path parameter over the length
 * limit, a malformed URL): Fastify's `frameworkErrors` option, answered with the same coded body.
 */
export function frameworkErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = errorResponse(err, request.id);
  request.log.info({ code: body.code, message: body.message }, 'request rejected');
  void reply.code(status).header('content-type', 'application/json; charset=utf-8').send(body);
}

export default fp(
  async function errorHandler(fastify: FastifyInstance) {
    fastify.setErrorHandler((err, request, reply) => {
      const { status, body, internal } = errorResponse(err, request.id);
      if (internal) request.log.error({ err }, 'request failed');
      else request.log.info({ code: body.code, message: body.message }, 'request rejected');
      // A handler may have set a non-JSON content type (text, SSE) before failing.
      return reply.code(status).header('content-type', 'application/json; charset=utf-8').send(body);
    });
    fastify.setNotFoundHandler((request, reply) => {
      const body: ErrorBody = { code: 'MESHCAP_ERR_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}`, issues: [] };
      return reply.code(404).send(body);
    });
  },
  { name: 'error-handler' },
);
