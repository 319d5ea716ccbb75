import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AdsClient } from './ads-client.ts';
import { ADS_METHOD_PATH, encodeAnyMessage, encodeDiscoveryResponse, XDS_TYPES, type DiscoveryRequest, type EncodedDiscoveryResponse, type XdsTypeUrl } from './ads-protocol.ts';
import { ENVOY_TYPES, typeUrl } from './envoy-json.ts';
import { loadProtoJsonCodec, type EnvoyProtoJsonCodec } from './proto-json.ts';
import type { XdsResourceSet } from './resource-set.ts';

/**
 * The client's side of the wire, against a gRPC server this test drives step by step: it decides
 * when each request is answered, so the interleavings a loaded control plane produces (a push
 * between a request and its answer) are played exactly, every run.
 */
class ScriptedAdsServer {
  private readonly server = new Server();
  private call: ServerDuplexStream<DiscoveryRequest, EncodedDiscoveryResponse> | undefined;
  readonly requests: DiscoveryRequest[] = [];
  private waiter: (() => void) | undefined;
  private nonce = 0;

  constructor(private readonly codec: EnvoyProtoJsonCodec) {
    this.server.register<DiscoveryRequest, EncodedDiscoveryResponse>(
      ADS_METHOD_PATH,
      (call: ServerDuplexStream<DiscoveryRequest, EncodedDiscoveryResponse>) => {
        this.call = call;
        call.on('data', (req: DiscoveryRequest) => {
          this.requests.push(req);
          this.waiter?.();
        });
      },
      encodeDiscoveryResponse,
      (b) => codec.decode('envoy.service.discovery.v3.DiscoveryRequest', b) as DiscoveryRequest,
      'bidi',
    );
  }

  listen(): Promise<string> {
    return new Promise((resolve, reject) => this.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(`127.0.0.1:${port}`))));
  }

  /** The next request of `type` (answering `nonce`, if given) after the first `from` requests; bounded wait. */
  async request(type: XdsTypeUrl, from: number, nonce?: string, timeoutMs = 5_000): Promise<DiscoveryRequest> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.requests.slice(from).find((r) => r.type_url === type && (nonce === undefined || r.response_nonce === nonce));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${type} request after #${from} in ${timeoutMs} ms; got ${JSON.stringify(this.requests.slice(from))}`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  /** Sends a response; returns its nonce. */
  respond(type: XdsTypeUrl, version: string, resources: unknown[]): string {
    const nonce = String(++this.nonce);
    this.call!.write({ version_info: version, type_url: type, nonce, resources: resources.map((r) => encodeAnyMessage(this.codec.encodeAny(r))) });
    return nonce;
  }

  close(): void {
    this.server.forceShutdown();
  }
}

const edsCluster = (name: string) => ({ '@type': typeUrl(ENVOY_TYPES.cluster), name, type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } } });
const loadAssignment = (name: string) => ({ '@type': typeUrl(ENVOY_TYPES.clusterLoadAssignment), cluster_name: name });
const listener = { '@type': typeUrl(ENVOY_TYPES.listener), name: 'inbound', address: { socket_address: { address: '127.0.0.1', port_value: 18080 } } };

describe('ADS client (state of the world) on the wire', () => {
  let codec: EnvoyProtoJsonCodec;
  const cleanup: Array<() => void> = [];

  beforeAll(async () => {
    codec = await loadProtoJsonCodec();
  });

  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  it('an EDS answer to names it no longer asks for, after the server ignored its newer names as stale: it asks again and applies the set', async () => {
    // As in a demo under load (three dataplanes registering while the first connects): each new
    // version names one more EDS cluster, and the server answers the client's requests only after
    // pushing the next version, so the requests that carry the newest names reach it with an
    // older nonce (stale, ignored) and its last EDS answer is to older names.
    const server = new ScriptedAdsServer(codec);
    const target = await server.listen();
    cleanup.push(() => server.close());
    const applied: Array<{ version: string; set: XdsResourceSet }> = [];
    const client = new AdsClient({ target, node: { id: 'default.backend' }, codec, apply: async (version, set) => void applied.push({ version, set }) });
    cleanup.push(() => client.close());

    await server.request(XDS_TYPES.cluster, 0);
    await server.request(XDS_TYPES.listener, 0);
    server.respond(XDS_TYPES.cluster, 'v1', [edsCluster('a')]);
    server.respond(XDS_TYPES.listener, 'v1', [listener]);
    let seen = server.requests.length;
    const subscribeA = await server.request(XDS_TYPES.endpoint, seen);
    expect(subscribeA.resource_names).toEqual(['a']);

    // v2 is pushed before the subscription to `a` is answered.
    seen = server.requests.length;
    server.respond(XDS_TYPES.cluster, 'v2', [edsCluster('a'), edsCluster('b')]);
    server.respond(XDS_TYPES.listener, 'v2', [listener]);
    const subscribeAB = await server.request(XDS_TYPES.endpoint, seen);
    expect(subscribeAB.resource_names).toEqual(['a', 'b']);
    expect(subscribeAB.response_nonce ?? '').toBe('');
    server.respond(XDS_TYPES.endpoint, 'v2', [loadAssignment('a')]);

    // v3 is pushed (EDS with the names the server has taken so far: `a`) before `[a, b]` is answered.
    server.respond(XDS_TYPES.cluster, 'v3', [edsCluster('a'), edsCluster('b'), edsCluster('c')]);
    const edsPushNonce = server.respond(XDS_TYPES.endpoint, 'v3', [loadAssignment('a')]);
    const lastPushNonce = server.respond(XDS_TYPES.listener, 'v3', [listener]);
    // The client has read the push: it asked for `[a, b, c]` with the push's nonce.
    expect(await server.request(XDS_TYPES.endpoint, 0, edsPushNonce)).toMatchObject({ resource_names: ['a', 'b', 'c'] });
    // Now the server answers `[a, b]` (a request without a nonce is never stale); every later
    // request carries an older nonce than this answer's, so it ignores them all.
    seen = server.requests.length;
    const answerNonce = server.respond(XDS_TYPES.endpoint, 'v3', [loadAssignment('a'), loadAssignment('b')]);
    expect(Number(answerNonce)).toBeGreaterThan(Number(lastPushNonce));

    // The client lacks `c`: it asks again, with this answer's nonce, which the server takes.
    const again = await server.request(XDS_TYPES.endpoint, seen);
    expect(again).toMatchObject({ response_nonce: answerNonce, resource_names: ['a', 'b', 'c'] });
    expect(applied).toEqual([]);
    expect(client.stats.waitingFor).toBe('waiting for EDS c');
    server.respond(XDS_TYPES.endpoint, 'v3', [loadAssignment('a'), loadAssignment('b'), loadAssignment('c')]);
    await client.applied('v3');
    expect(applied.map((a) => a.version)).toEqual(['v3']);
    expect(applied[0]!.set.endpoints.map((e) => e['cluster_name'])).toEqual(['a', 'b', 'c']);
    expect(client.stats.waitingFor).toBeUndefined();
  });
});
