import { AdsClient, DEFAULT_XDS_PORT, loadProtoJsonCodec, MeshcapError, type Dataplane, type DataplaneHandle } from '@meshcap/core';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
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
  'ca-cert': { type: 'string' },
} as const;

export const dataplaneChannelHelp = `  --cp URL                     the control plane: unix:/run/meshcap/cp.sock (works across network namespaces
                               on one host) or http://127.0.0.1:5681; without it the dataplane runs standalone.
                               Repeat it for control plane replicas: when one goes away the next is tried,
                               the last config staying in force
  --xds ADDR                   the ADS server, if not where --cp says (default: xds.sock beside the --cp socket,
                               or port 5678 on the --cp host); HOST:PORT or unix:PATH; repeatable like --cp
  --ca-cert FILE               the CA (PEM) an https:// control plane's certificate must chain to; without it the
                               dataplane fetches the CA once from the first https:// --cp that answers
                               (/api/control-plane/ca, as it prints its fingerprint) and pins it for every
                               replica and reconnection
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
  // (https:// → the ADS server on that host is TLS too: the client is given the CA.)
  const target = parseControlPlaneUrl(cpUrl);
  if ('socketPath' in target) return `unix:${join(dirname(target.socketPath), 'xds.sock')}`;
  return `${target.host.includes(':') ? `[${target.host}]` : target.host}:${DEFAULT_XDS_PORT}`;
}

/**
 * The CA to verify https:// control planes with: `--ca-cert FILE`, else fetched once (trust on
 * first use, the certificate itself not yet verifiable) from the first https:// URL that answers,
 * then pinned: every reconnection and every replica is verified against it. undefined when no URL
 * is https://.
 */
export async function controlPlaneCa(urls: readonly string[], caFile: string | undefined, log?: (level: 'info' | 'warn' | 'error', message: string) => void): Promise<string | undefined> {
  if (caFile) {
    try {
      const pem = readFileSync(caFile, 'utf8');
      new X509Certificate(pem);
      return pem;
    } catch (err) {
      throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `--ca-cert: ${caFile} is not a readable PEM certificate (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  const tlsUrls = urls.filter((u) => u.startsWith('https:'));
  if (tlsUrls.length === 0) return undefined;
  const reasons: string[] = [];
  // Bounded: each URL a few times, a second apart (a replica may still be starting).
  for (let attempt = 0; attempt < 10; attempt++) {
    for (const url of tlsUrls) {
      try {
        const pem = await fetchPem(new URL('/api/control-plane/ca', url));
        log?.('warn', `pinned the control plane CA fetched from ${url} (SHA-256 ${new X509Certificate(pem).fingerprint256}); pass --ca-cert to verify it up front`);
        return pem;
      } catch (err) {
        const reason = `${url}: ${(err as Error).message}`;
        if (!reasons.includes(reason)) log?.('warn', `cannot fetch the control plane CA yet (${reason}); retrying`);
        reasons.push(reason);
      }
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new MeshcapError('MESHCAP_ERR_CONTROL_PLANE_UNREACHABLE', `cannot fetch the control plane CA (give it with --ca-cert): ${[...new Set(reasons)].slice(-3).join('; ')}`);
}

function fetchPem(url: URL): Promise<string> {
  return new Promise((resolve, reject) => {
    // Unverified on purpose: this is the fetch that establishes trust (see controlPlaneCa).
    const req = https.get(url, { rejectUnauthorized: false, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body.length < 65_536 ? (body += d) : undefined));
      res.on('end', () => {
        if (res.statusCode !== 200 || !body.includes('BEGIN CERTIFICATE')) reject(new Error(`HTTP ${res.statusCode}`));
        else resolve(body);
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
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
    /** The CA for https:// control planes and TCP ADS targets (see controlPlaneCa); default fetched and pinned. */
    caPem?: string;
    bufferSize?: number;
    batchIntervalMs?: number;
    backoff?: { initialMs?: number; maxMs?: number };
    log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  },
): Promise<DataplaneConnection> {
  const urls = typeof opts.url === 'string' ? [opts.url] : opts.url;
  const caPem = opts.caPem ?? (await controlPlaneCa(urls, undefined, opts.log));
  const channel = connectControlPlane({
    url: opts.url,
    token: opts.token,
    caPem,
    dataplane: opts.dataplane as unknown as Record<string, unknown>,
    engine: engineFromHandle(handle),
    bufferSize: opts.bufferSize,
    batchIntervalMs: opts.batchIntervalMs,
    backoff: opts.backoff,
    log: opts.log,
  });
  const ads = new AdsClient({
    target: opts.xds ?? urls.map(xdsTargetOf),
    ...(caPem ? { tls: { caPem } } : {}),
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
