/**
 * The one HTTP client of the dashboard. Every request goes to the control plane on the same origin
 * (`/api/...`, outside the `/gui` base path), and every failure becomes an `ApiError` carrying the
 * API's `{code, message, issues}` so screens can show what went wrong and where.
 */
import type { components } from './api-types.ts';
import { readToken } from './mutation-token.ts';

/** One `issues[]` entry of the API's error body: what is wrong and where (field path, line, column). */
export type ApiIssue = components['schemas']['ApiError']['issues'][number];

export class ApiError extends Error {
  override name = 'ApiError';

  constructor(
    /** HTTP status; 0 when the control plane could not be reached at all. */
    readonly status: number,
    /** `MESHCAP_ERR_*` from the API, or `NETWORK` / `HTTP_<status>` when the answer had no code. */
    readonly code: string,
    message: string,
    readonly issues: ApiIssue[] = [],
  ) {
    super(message);
  }
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}

export type QueryValue = string | number | boolean | undefined | null;

/** `/api/flows?limit=10` from a path and query values (undefined/null/'' values are left out). */
export function apiUrl(path: string, query?: Record<string, QueryValue>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Path segment encoding for names taken from data (`inbound:10.0.0.1:80` stays readable). */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

export interface ApiRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  query?: Record<string, QueryValue>;
  body?: unknown;
  signal?: AbortSignal;
  /** Send the mutation token; fails before any request when none is stored. */
  auth?: boolean;
}

export async function apiFetch<T>(path: string, req: ApiRequest = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (req.body !== undefined) headers['content-type'] = 'application/json';
  if (req.auth) {
    const token = readToken();
    if (!token) throw new ApiError(401, 'MESHCAP_ERR_UNAUTHORIZED', 'A token is required to change anything. Enter the control plane token and try again.');
    headers.authorization = `Bearer ${token}`;
  }
  let res: Response;
  try {
    res = await fetch(apiUrl(path, req.query), {
      method: req.method ?? 'GET',
      headers,
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      signal: req.signal,
      cache: 'no-store',
    });
  } catch (err) {
    if (req.signal?.aborted) throw err;
    throw new ApiError(0, 'NETWORK', `The control plane did not answer (${err instanceof Error ? err.message : String(err)}).`);
  }
  const text = await res.text();
  const isJson = (res.headers.get('content-type') ?? '').includes('json');
  if (!res.ok) throw errorFromResponse(res, text, isJson);
  if (!text) return undefined as T;
  if (!isJson) return text as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(res.status, 'BAD_RESPONSE', `The control plane sent invalid JSON for ${path}.`);
  }
}

function errorFromResponse(res: Response, text: string, isJson: boolean): ApiError {
  let body: { code?: unknown; message?: unknown; issues?: unknown } = {};
  if (isJson && text) {
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // keep the generic message below
    }
  }
  const code = typeof body.code === 'string' ? body.code : `HTTP_${res.status}`;
  const message = typeof body.message === 'string' && body.message ? body.message : `${res.status} ${res.statusText || 'error'}`;
  const issues = Array.isArray(body.issues) ? (body.issues as ApiIssue[]).filter((i) => typeof i?.message === 'string') : [];
  return new ApiError(res.status, code, message, issues);
}
