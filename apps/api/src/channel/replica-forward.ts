import { MeshcapError } from '@meshcap/core';
import http from 'node:http';
import https from 'node:https';
import type { DataplaneSession, Store } from '../store/index.ts';
import { CONTROL_PLANE_CA_KEY } from '../control-plane/cp-tls.ts';
import type { DataplaneHub } from './dataplane-hub.ts';
import type { ReplicaPresence } from './replica-presence.ts';

/**
 * Set on a request one replica forwards to another. A replica answers such a request itself and
 * never forwards it again: two replicas that each believe the other holds a dataplane (their
 * views of the shared rows a second apart) then answer once each, and cannot bounce a request.
 */
export const FORWARDED_HEADER = 'x-meshcap-forwarded-by';

/** Long enough for the holder's own answer, or its coded 504 (it waits 10 s at most for rules). */
const FORWARD_TIMEOUT_MS = 15_000;
/** A replica asked for its share of an un-filtered flow list: it answers from memory, or not at all. */
const FAN_OUT_TIMEOUT_MS = 2_000;

/** A replica that did not answer; `cause` holds why alone (for an answer that names several). */
function replicaUnreachable(replica: { id: string; url: string }, holds: string, why: string): MeshcapError {
  return new MeshcapError(
    'MESHCAP_ERR_REPLICA_UNREACHABLE',
    `control plane replica ${replica.id} (${replica.url}), which holds ${holds}, did not answer: ${why}; retry (a dataplane whose replica died moves to another within seconds)`,
    [],
    { cause: new Error(why) },
  );
}

/** Hop-by-hop headers: they describe the connection to the holder, not the answer. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

export interface ForwardedResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: http.IncomingMessage;
}

/**
 * Asks the replica that holds a dataplane for what only it has (that dataplane's flows, and what
 * is read from the dataplane over the channel), for requests that reached another replica. The
 * peer's TLS is verified with the control plane CA the replicas share in the store (see cp-tls.ts).
 */
export class ReplicaForwarder {
  private caPem: Promise<string | undefined> | undefined;

  constructor(
    private readonly presence: ReplicaPresence,
    private readonly hub: DataplaneHub,
    private readonly store: Store,
    /** This replica's own CA (from `--tls-cert`'s chain), when the store keeps none. */
    private readonly ownCaPem?: string,
  ) {}

  /** Another live replica holding `mesh/name` (undefined: held here, or by nobody). */
  holderElsewhere(mesh: string | undefined, name: string): DataplaneSession | undefined {
    if (mesh !== undefined) {
      const local = this.hub.status(mesh, name);
      if (local.connected || local.xdsStreams > 0) return undefined;
    }
    const held = this.presence.holders(name, mesh);
    // Held here under some mesh (a `dataplane=` filter without `mesh=`): answered here.
    if (held.some((s) => s.replica === this.presence.id)) return undefined;
    return held.find((s) => s.replicaUrl !== '');
  }

  /** The other live replicas, for an answer merged from all (what the shared rows name). */
  otherReplicas(): Array<{ id: string; url: string }> {
    return this.presence.replicas().filter((r) => r.id !== this.presence.id && r.url !== '');
  }

  /**
   * Sends `method path` (path with its query) to `replica` with the caller's Authorization and
   * resolves when the holder's status and headers are in (its body still to come: a stream stays
   * a stream). Rejects with MESHCAP_ERR_REPLICA_UNREACHABLE when it cannot be reached in time.
   */
  async send(
    replica: { id: string; url: string },
    request: { method: string; path: string; authorization?: string; body?: string; contentType?: string },
    { timeoutMs = FORWARD_TIMEOUT_MS, holds = 'this dataplane' }: { timeoutMs?: number; holds?: string } = {},
  ): Promise<ForwardedResponse> {
    const target = new URL(request.path, replica.url);
    const tls = target.protocol === 'https:';
    const ca = tls ? await this.ca() : undefined;
    const headers: Record<string, string> = { [FORWARDED_HEADER]: this.presence.id, accept: '*/*' };
    if (request.authorization) headers['authorization'] = request.authorization;
    if (request.body !== undefined) {
      headers['content-type'] = request.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(request.body));
    }
    const unreachable = (why: string) => replicaUnreachable(replica, holds, why);
    return new Promise<ForwardedResponse>((resolve, reject) => {
      const options: https.RequestOptions = { method: request.method, headers, ...(ca !== undefined ? { ca } : {}) };
      const req = (tls ? https : http).request(target, options, (res) => {
        clearTimeout(timer);
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
        resolve({ status: res.statusCode ?? 502, headers: out, body: res });
      });
      const timer = setTimeout(() => {
        req.destroy();
        reject(unreachable(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(unreachable(err.code ?? err.message));
      });
      req.end(request.body);
    });
  }

  /** `send` and read the JSON body (for the merged flow list). */
  async json<T>(replica: { id: string; url: string }, path: string, authorization?: string): Promise<T> {
    const { status, body } = await this.read(replica, path, authorization, FAN_OUT_TIMEOUT_MS);
    if (status !== 200) throw new Error(`replica ${replica.id} answered ${status}`);
    return body as T;
  }

  /** `send` a GET and read its JSON body, both within `timeoutMs` (MESHCAP_ERR_REPLICA_UNREACHABLE past it). */
  async read(replica: { id: string; url: string }, path: string, authorization: string | undefined, timeoutMs: number, holds?: string): Promise<{ status: number; body: unknown }> {
    const res = await this.send(replica, { method: 'GET', path, authorization }, { timeoutMs, ...(holds !== undefined ? { holds } : {}) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => res.body.destroy(new Error('body not read in time')), timeoutMs);
    try {
      for await (const chunk of res.body) chunks.push(chunk as Buffer);
    } catch (err) {
      throw replicaUnreachable(replica, holds ?? 'this dataplane', `its answer broke off (${(err as Error).message})`);
    } finally {
      clearTimeout(timer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
    } catch {
      throw replicaUnreachable(replica, holds ?? 'this dataplane', `it answered ${res.status} with no JSON`);
    }
  }

  /**
   * The first other replica to answer 200 for `path`, asked all at once (for what its id alone does
   * not place: a flow by id), each within FAN_OUT_TIMEOUT_MS. Undefined when every one answered
   * 404; MESHCAP_ERR_REPLICA_UNREACHABLE naming those that did not answer when none had it.
   */
  async firstHit(path: string, authorization: string | undefined, holds: string): Promise<{ replica: string; body: unknown } | undefined> {
    const replicas = this.otherReplicas();
    if (replicas.length === 0) return undefined;
    const failed: Array<{ id: string; url: string; why: string }> = [];
    return new Promise((resolve, reject) => {
      let pending = replicas.length;
      let done = false;
      const settle = () => {
        if (done || --pending > 0) return;
        done = true;
        if (failed.length === 0) return resolve(undefined);
        const names = failed.map((f) => `${f.id} (${f.url}: ${f.why})`).join(', ');
        reject(new MeshcapError('MESHCAP_ERR_REPLICA_UNREACHABLE', `no replica that answered has ${holds}, and ${failed.length === 1 ? 'control plane replica' : 'control plane replicas'} ${names}, which may hold it, did not answer; retry`));
      };
      for (const replica of replicas) {
        this.read(replica, path, authorization, FAN_OUT_TIMEOUT_MS, holds).then(
          ({ status, body }) => {
            if (status === 200 && !done) {
              done = true;
              resolve({ replica: replica.id, body });
            } else if (status !== 404) failed.push({ ...replica, why: `answered ${status}` });
            settle();
          },
          (err: unknown) => {
            failed.push({ ...replica, why: err instanceof MeshcapError && err.cause instanceof Error ? err.cause.message : String(err) });
            settle();
          },
        );
      }
    });
  }

  /** The store's control plane CA (every replica issued its certificate from it), read once. */
  private ca(): Promise<string | undefined> {
    this.caPem ??= this.store
      .getMeshCa(CONTROL_PLANE_CA_KEY.mesh, CONTROL_PLANE_CA_KEY.backend)
      .then((ca) => ca?.certPem ?? this.ownCaPem)
      .catch(() => {
        this.caPem = undefined;
        return this.ownCaPem;
      });
    return this.caPem;
  }
}
