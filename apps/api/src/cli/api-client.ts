import { errorRegistry, MeshcapError, type ErrorIssue, type MeshcapErrorCode } from '@meshcap/core';
import http from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { findAdminToken } from '../auth/index.ts';
import { parseControlPlaneUrl, CliUsageError } from '@meshcap/dataplane';

/** Where a control plane keeps its data by default: /var/lib/meshcap as root, ~/.meshcap otherwise (MESHCAP_DATA_DIR wins). */
export function defaultDataDir(): string {
  return process.env.MESHCAP_DATA_DIR || (process.getuid?.() === 0 ? '/var/lib/meshcap' : join(homedir(), '.meshcap'));
}

/** The Unix socket a control plane listens on by default: /run/meshcap/cp.sock as root, else in its data directory. */
export function defaultSocketPath(dataDir: string): string {
  return process.getuid?.() === 0 ? '/run/meshcap/cp.sock' : join(dataDir, 'cp.sock');
}

export const DEFAULT_CP_URL = 'http://127.0.0.1:5681';

/** The flags every verb that talks to a control plane takes. */
export const controlPlaneFlags = {
  cp: { type: 'string' },
  'token-file': { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

export const controlPlaneFlagsHelp = `  --cp URL            the control plane: http://127.0.0.1:5681 (default, or MESHCAP_CP) or unix:/run/meshcap/cp.sock
  --token-file FILE   the admin token for changes (default: MESHCAP_TOKEN, else the data directory's admin-token)
  --data-dir DIR      where a local control plane keeps its token (default: MESHCAP_DATA_DIR, /var/lib/meshcap as root, ~/.meshcap)`;

/** A small HTTP client of the control plane API, over TCP or its Unix socket; errors come back as MeshcapError. */
export class ControlPlaneApi {
  constructor(
    readonly url: string,
    private readonly token: () => string | undefined,
  ) {
    try {
      parseControlPlaneUrl(url);
    } catch (err) {
      throw new CliUsageError((err as Error).message);
    }
  }

  static fromFlags(values: { cp?: string; 'token-file'?: string; 'data-dir'?: string }): ControlPlaneApi {
    const url = values.cp ?? process.env.MESHCAP_CP ?? DEFAULT_CP_URL;
    return new ControlPlaneApi(url, () => findAdminToken({ env: process.env.MESHCAP_TOKEN, file: values['token-file'], dataDir: values['data-dir'] ?? defaultDataDir() }));
  }

  async request<T>(method: string, path: string, opts: { body?: string; contentType?: string; auth?: boolean } = {}): Promise<{ status: number; body: T; text: string; headers: http.IncomingHttpHeaders }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    if (opts.auth) {
      const token = this.token();
      if (!token) throw new MeshcapError('MESHCAP_ERR_UNAUTHORIZED', 'no admin token: set MESHCAP_TOKEN, pass --token-file, or run where the control plane keeps its data directory (--data-dir)');
      headers.authorization = `Bearer ${token}`;
    }
    const target = parseControlPlaneUrl(this.url);
    const res = await new Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      const req = http.request({ ...target, path, method, headers: { ...headers, host: 'host' in target ? `${target.host}:${target.port}` : 'localhost' }, timeout: 30_000 }, (r) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (d: string) => (text += d));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, text, headers: r.headers }));
      });
      req.on('timeout', () => req.destroy(new Error('timed out after 30 s')));
      req.on('error', (err) =>
        reject(new MeshcapError('MESHCAP_ERR_CONTROL_PLANE_UNREACHABLE', `cannot reach the control plane at ${this.url}: ${(err as NodeJS.ErrnoException).code ?? err.message} (is \`meshcap cp\` running? --cp names another)`)),
      );
      if (opts.body !== undefined) req.write(opts.body);
      req.end();
    });
    const isJson = (res.headers['content-type'] ?? '').includes('json');
    let body: unknown = res.text;
    if (isJson && res.text) body = JSON.parse(res.text);
    if (res.status >= 400) {
      const e = (isJson ? body : {}) as { code?: string; message?: string; issues?: ErrorIssue[] };
      const code = e.code && e.code in errorRegistry ? (e.code as MeshcapErrorCode) : 'MESHCAP_ERR_INTERNAL';
      throw new MeshcapError(code, e.message ?? `${method} ${path}: HTTP ${res.status}`, e.issues ?? []);
    }
    return { status: res.status, body: body as T, text: res.text, headers: res.headers };
  }

  async get<T>(path: string): Promise<T> {
    return (await this.request<T>('GET', path)).body;
  }
}
