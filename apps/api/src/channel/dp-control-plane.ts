import { MeshcapError, type Dataplane, type DataplaneHandle } from '@meshcap/core';
import { readFileSync } from 'node:fs';
import { connectControlPlane, type ControlPlaneConnection } from './client.ts';
import { engineFromHandle } from './engine-adapter.ts';

/** The environment variable holding a dataplane token (as kuma-dp's KUMA_DATAPLANE_RUNTIME_TOKEN). */
export const DATAPLANE_TOKEN_ENV = 'MESHCAP_DATAPLANE_TOKEN';

/** `meshcap dp` flags for the control plane connection (merge into its parseArgs options). */
export const dataplaneChannelFlags = {
  cp: { type: 'string' },
  'dataplane-token-file': { type: 'string' },
} as const;

export const dataplaneChannelHelp = `  --cp URL                     the control plane: unix:/run/meshcap/cp.sock (works across network namespaces
                               on one host) or http://127.0.0.1:5681; without it the dataplane runs standalone
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
 * Connects a running engine to the control plane. In `meshcap dp`, after `runDataplaneProcess`:
 *
 *   const cp = flags.cp ? attachToControlPlane(handle, { url: flags.cp, token, dataplane, log }) : undefined;
 *   const code = await exited;      // SIGTERM drained the engine
 *   await cp?.close();              // sends what flows it can, then closes
 */
export function attachToControlPlane(
  handle: DataplaneHandle,
  opts: { url: string; token: string; dataplane: Dataplane; bufferSize?: number; log?: (level: 'info' | 'warn' | 'error', message: string) => void },
): ControlPlaneConnection {
  return connectControlPlane({
    url: opts.url,
    token: opts.token,
    dataplane: opts.dataplane as unknown as Record<string, unknown>,
    engine: engineFromHandle(handle),
    bufferSize: opts.bufferSize,
    log: opts.log,
  });
}
