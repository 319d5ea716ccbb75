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
const COMPONENTS = '#/components/schemas/';

/** `#/$defs/X` → `#/components/schemas/X`, everywhere in `json` (a copy). */
function refsToComponents(json: unknown): unknown {
  if (Array.isArray(json)) return json.map(refsToComponents);
  if (!json || typeof json !== 'object') return json;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    out[key] = key === '$ref' && typeof value === 'string' && value.startsWith('#/$defs/') ? COMPONENTS + value.slice('#/$defs/'.length) : refsToComponents(value);
  }
  return out;
}

/**
 * Schemas named with `.meta({ id })` become `components.schemas[id]` (zod puts them in `$defs`), so
 * clients generated from the document get named types; the route keeps a `$ref` to them. One id
 * must convert to one JSON Schema (a named schema used as input and output alike must read the same).
 */
function hoistDefs(json: Record<string, unknown>, components: Record<string, unknown>, where: string): Record<string, unknown> {
  const { $defs, ...rest } = json;
  for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, unknown>)) {
    const converted = refsToComponents(def);
    if (id in components && JSON.stringify(components[id]) !== JSON.stringify(converted)) {
      throw new Error(`OpenAPI component ${id} (${where}) differs from its other uses`);
    }
    components[id] = converted;
  }
  const schema = refsToComponents(rest) as Record<string, unknown>;
  // A route answering with a named schema: its description stays the response's description.
  const named = typeof schema.$ref === 'string' ? (components[schema.$ref.slice(COMPONENTS.length)] as Record<string, unknown> | undefined) : undefined;
  if (named && typeof named.description === 'string' && schema.description === undefined) schema.description = named.description;
  return schema;
}

/** @fastify/swagger transform: zod route schemas → JSON Schema (OpenAPI 3.1 uses JSON Schema 2020-12). */
export function openApiTransform({ schema, url, openapiObject }: { schema: FastifySchema; url: string; openapiObject?: { components?: { schemas?: Record<string, unknown> } } }): {
  schema: FastifySchema;
  url: string;
} {
  if (!schema) return { schema, url };
  const components = openapiObject?.components?.schemas ?? {};
  const out: Record<string, unknown> = { ...schema };
  for (const part of REQUEST_PARTS) {
    const zs = asZod(schema[part]);
    if (zs) out[part] = hoistDefs(toJsonSchema(zs, 'input'), components, `${part} of ${url}`);
  }
  if (schema.response && typeof schema.response === 'object') {
    const responses: Record<string, unknown> = {};
    for (const [code, value] of Object.entries(schema.response as Record<string, unknown>)) {
      const zs = asZod(value);
      if (!zs) {
        responses[code] = value;
        continue;
      }
      const json = hoistDefs(toJsonSchema(zs, 'output'), components, `${code} response of ${url}`);
      const mediaType = mediaTypeOf(zs);
      const description = typeof json.description === 'string' ? json.description : 'response';
      responses[code] = mediaType ? { description, content: { [mediaType]: { schema: json } } } : json;
    }
    out.response = responses;
  }
  return { schema: out as FastifySchema, url };
}
