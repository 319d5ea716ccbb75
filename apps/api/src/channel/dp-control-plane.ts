import { AdsClient, DEFAULT_XDS_PORT, loadProtoJsonCodec, MeshcapError, type Dataplane, type DataplaneHandle } from '@meshcap/core';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { connectControlPlane, parseControlPlaneUrl, type ControlPlaneConnection } from './client.ts';
import { engineFromHandle } from './engine-adapter.ts';

/** The environment variable holding a dataplane token (as kuma-dp's KUMA_DATAPLANE_RUNTIME_TOKEN). */
export const DATAPLANE_TOKEN_ENV = 'MESHCAP_DATAPLANE_TOKEN';

/** `meshcap dp` flags for the control plane connection (merge into its parseArgs options). */
export const dataplaneChannelFlags = {
  cp: { type: 'string', multiple: true },
  xds: { type: 'string', multiple: true },
  'dataplane-token-file': { type: 'string' },
} as const;

export const dataplaneChannelHelp = `  --cp URL                     the control plane: unix:/run/meshcap/cp.sock (works across network namespaces
                               on one host) or http://127.0.0.1:5681; without it the dataplane runs standalone.
                               Repeat it for control plane replicas: when one goes away the next is tried,
                               the last config staying in force
  --xds ADDR                   the ADS server, if not where --cp says (default: xds.sock beside the --cp socket,
                               or port 5678 on the --cp host); HOST:PORT or unix:PATH; repeatable like --cp
  --dataplane-token-file FILE  the token from \`meshcap generate dataplane-token\` (or ${DATAPLANE_TOKEN_ENV})`;

/**
 * The dataplane token: MESHCAP_DATAPLANE_TOKEN, else the file of `flag` (--dataplane-token-file).
 * Read before dropping to the proxy user (the file may be root's only); put it in the environment
 * for the child.
 */
export function readDataplaneToken(file: string | undefined, env: NodeJS.ProcessEnv = process.env, flag = '--dataplane-token-file'): string {
  const fromEnv = env[DATAPLANE_TOKEN_ENV]?.trim();
  if (fromEnv) return fromEnv;
  if (!file) throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `--cp needs a dataplane token: ${flag} FILE or ${DATAPLANE_TOKEN_ENV} (meshcap generate dataplane-token --name NAME)`);
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (!token) throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `${flag}: ${file} is empty`);
    return token;
  } catch (err) {
    if (err instanceof MeshcapError) throw err;
    throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `${flag}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * Where the control plane given as `--cp` serves ADS: `xds.sock` beside its API socket (the
 * dataplane reaches it from any network namespace), or Kuma's port 5678 on its host.
 */
export function xdsTargetOf(cpUrl: string): string {
  const target = parseControlPlaneUrl(cpUrl);
  if ('socketPath' in target) return `unix:${join(dirname(target.socketPath), 'xds.sock')}`;
  return `${target.host.includes(':') ? `[${target.host}]` : target.host}:${DEFAULT_XDS_PORT}`;
}

export interface DataplaneConnection extends ControlPlaneConnection {
  readonly ads: AdsClient;
}

/**
 * Connects a running engine to the control plane, as kuma-dp connects Envoy: its config comes
 * over ADS (every version applied with `handle.applyXds`, ACKed, or NACKed with the reason while
 * the last good one stays), and its flows and the inspect requests go over the dataplane channel.
 * In `meshcap dp`, after `runDataplaneProcess`:
 *
 *   const cp = flags.cp ? await attachToControlPlane(handle, { url: flags.cp, token, dataplane, log }) : undefined;
 *   const code = await exited;      // SIGTERM drained the engine
 *   await cp?.close();              // sends what flows it can, then closes
 */
export async function attachToControlPlane(
  handle: DataplaneHandle,
  opts: {
    /** One control plane, or several replicas tried in turn (see connectControlPlane). */
    url: string | readonly string[];
    token: string;
    dataplane: Dataplane;
    /** The ADS server(s); default `xdsTargetOf` of each url. */
    xds?: string | readonly string[];
    bufferSize?: number;
    batchIntervalMs?: number;
    backoff?: { initialMs?: number; maxMs?: number };
    log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  },
): Promise<DataplaneConnection> {
  const channel = connectControlPlane({
    url: opts.url,
    token: opts.token,
    dataplane: opts.dataplane as unknown as Record<string, unknown>,
    engine: engineFromHandle(handle),
    bufferSize: opts.bufferSize,
    batchIntervalMs: opts.batchIntervalMs,
    backoff: opts.backoff,
    log: opts.log,
  });
  const ads = new AdsClient({
    target: opts.xds ?? (typeof opts.url === 'string' ? [opts.url] : opts.url).map(xdsTargetOf),
    // kuma-dp's node: `<mesh>.<name>`, the Dataplane resource in the metadata (registered on whichever connection comes first).
    node: { id: `${handle.mesh}.${handle.name}`, user_agent_name: 'meshcap', metadata: { 'dataplane.resource': JSON.stringify(opts.dataplane) } },
    token: opts.token,
    codec: await loadProtoJsonCodec(),
    apply: (version, set) => handle.applyXds(version, set),
    backoff: opts.backoff,
    log: opts.log,
  });
  return {
    ads,
    stats: () => channel.stats(),
    waitConnected: (timeoutMs) => channel.waitConnected(timeoutMs),
    async close(o) {
      ads.close();
      await channel.close(o);
    },
  };
}
