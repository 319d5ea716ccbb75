import { resourceName } from '@meshcap/core';
import { z } from 'zod';

/** `{code, message, issues}`: every 4xx/5xx body. */
export const errorSchema = z
  .object({
    code: z.string(),
    message: z.string(),
    issues: z.array(
      z.object({
        path: z.string().optional(),
        line: z.number().int().optional(),
        column: z.number().int().optional(),
        source: z.string().optional(),
        document: z.number().int().optional(),
        message: z.string(),
      }),
    ),
  })
  .meta({ id: 'ApiError', description: 'error: code from the registry, message, and where (field path, line, column)' });

/** The error responses a route can give, for its schema. */
export function errorResponses(...statuses: number[]): Record<number, typeof errorSchema> {
  return Object.fromEntries(statuses.map((s) => [s, errorSchema]));
}

export const meshParams = z.object({ mesh: resourceName });
export const dataplaneParams = z.object({ mesh: resourceName, name: resourceName });

/** Any JSON value (Envoy config, effective policy conf): passed through unchanged. */
export const jsonValue = z.unknown();

/** `?download=1`, `?include_eds=true`: query flags written the ways people write them. */
export const queryFlag = z
  .enum(['1', '0', 'true', 'false', ''])
  .transform((v) => v === '1' || v === 'true' || v === '');

export const textResponse = (description: string, mediaType = 'text/plain') => z.string().meta({ description, mediaType });
