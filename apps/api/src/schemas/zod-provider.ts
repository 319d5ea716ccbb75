import type { FastifySchema, FastifySchemaCompiler, FastifyTypeProvider } from 'fastify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { z } from 'zod';

/**
 * Route schemas are zod schemas: zod validates requests (field paths in every error, no silent
 * coercion of JSON bodies), checks and strips responses, and the same schemas become the OpenAPI
 * document through `openApiTransform`. Types flow to handlers through `ZodTypeProvider`.
 */
export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown;
  serializer: this['schema'] extends z.ZodType ? z.input<this['schema']> : unknown;
}

/** The error a failed request validation carries to the error handler. */
export class RequestValidationError extends Error {
  override name = 'RequestValidationError';
  constructor(
    readonly part: string,
    readonly issues: z.core.$ZodIssue[],
  ) {
    super(`invalid ${part}`);
  }
}

function asZod(schema: unknown): z.ZodType | undefined {
  return schema instanceof z.ZodType ? schema : undefined;
}

export const zodValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const zs = asZod(schema);
  if (!zs) throw new Error(`route schema for ${httpPart ?? 'request'} must be a zod schema`);
  return (data: unknown) => {
    const result = zs.safeParse(data);
    return result.success ? { value: result.data } : { error: new RequestValidationError(httpPart ?? 'request', result.error.issues) };
  };
};

/** Responses are checked against their schema: a handler that answers with the wrong shape is a bug (500), not a client error. */
export const zodSerializerCompiler: FastifySerializerCompiler<unknown> = ({ schema, url, method }) => {
  const zs = asZod(schema);
  if (!zs) throw new Error(`response schema of ${method} ${url} must be a zod schema`);
  return (data: unknown) => {
    const result = zs.safeParse(data);
    if (!result.success) {
      const where = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new Error(`response of ${method} ${url} does not match its schema: ${where}`);
    }
    return JSON.stringify(result.data);
  };
};

/** Media type of a non-JSON response, declared with `.meta({ mediaType })` on its schema. */
export function mediaTypeOf(schema: z.ZodType): string | undefined {
  const meta = schema.meta() as { mediaType?: unknown } | undefined;
  return typeof meta?.mediaType === 'string' ? meta.mediaType : undefined;
}

export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _drop, ...json } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return json;
}

const REQUEST_PARTS = ['params', 'querystring', 'body', 'headers'] as const;

/** @fastify/swagger transform: zod route schemas → JSON Schema (OpenAPI 3.1 uses JSON Schema 2020-12). */
export function openApiTransform({ schema, url }: { schema: FastifySchema; url: string }): { schema: FastifySchema; url: string } {
  if (!schema) return { schema, url };
  const out: Record<string, unknown> = { ...schema };
  for (const part of REQUEST_PARTS) {
    const zs = asZod(schema[part]);
    if (zs) out[part] = toJsonSchema(zs, 'input');
  }
  if (schema.response && typeof schema.response === 'object') {
    const responses: Record<string, unknown> = {};
    for (const [code, value] of Object.entries(schema.response as Record<string, unknown>)) {
      const zs = asZod(value);
      if (!zs) {
        responses[code] = value;
        continue;
      }
      const json = toJsonSchema(zs, 'output');
      const mediaType = mediaTypeOf(zs);
      const description = typeof json.description === 'string' ? json.description : 'response';
      responses[code] = mediaType ? { description, content: { [mediaType]: { schema: json } } } : json;
    }
    out.response = responses;
  }
  return { schema: out as FastifySchema, url };
}
