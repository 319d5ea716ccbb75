import { sleep } from './system.ts';

/**
 * The few control-plane API calls the demo makes, over HTTP like any other client (the demo is a
 * user of `meshcap cp`, not a part of it).
 */
export class ControlPlaneClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  private async call(method: string, path: string, body?: { text: string; type: string }): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${this.token}` };
    if (body) headers['content-type'] = body.type;
    const res = await fetch(new URL(path, this.baseUrl), { method, headers, body: body?.text, signal: AbortSignal.timeout(15_000) });
    return { status: res.status, text: await res.text() };
  }

  async getJson<T>(path: string): Promise<T> {
    const { status, text } = await this.call('GET', path);
    if (status !== 200) throw new Error(`GET ${path}: ${status} ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }

  /** `POST /api/resources` with YAML (one or many documents), like `kumactl apply`. */
  async apply(yaml: string, source: string): Promise<void> {
    const { status, text } = await this.call('POST', '/api/resources', { text: yaml, type: 'application/yaml' });
    if (status < 200 || status >= 300) throw new Error(`applying ${source} failed: ${status} ${text.slice(0, 1000)}`);
  }

  /** A dataplane token (`POST /api/tokens/dataplane`, what `kumactl generate dataplane-token` does). */
  async issueDataplaneToken(mesh: string, name: string): Promise<string> {
    const { status, text } = await this.call('POST', '/api/tokens/dataplane', { text: JSON.stringify({ mesh, name }), type: 'application/json' });
    if (status !== 200) throw new Error(`issuing a dataplane token for ${mesh}/${name} failed: ${status} ${text.slice(0, 500)}`);
    return (JSON.parse(text) as { token: string }).token;
  }

  /** Polls `GET /healthz` until it answers 200 (bounded). */
  async waitHealthy(timeoutMs: number, alive: () => boolean): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline && alive()) {
      try {
        const res = await fetch(new URL('/healthz', this.baseUrl), { signal: AbortSignal.timeout(2_000) });
        if (res.ok) return;
        last = `status ${res.status}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(200);
    }
    throw new Error(`the control plane at ${this.baseUrl} did not become healthy within ${timeoutMs} ms (${last || 'it exited'})`);
  }
}
