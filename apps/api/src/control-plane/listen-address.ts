import { MeshcapError } from '@meshcap/core';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

export const DEFAULT_LISTEN = '127.0.0.1:5681';

/** `127.0.0.1:5681`, `[::1]:5681`, `:5681` (loopback), `0.0.0.0:5681`; port 0 picks a free one. */
export function parseListenAddress(text: string, flag = '--listen'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const host = m ? (m[1] ?? m[2] ?? '') : '';
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535 || (host !== '' && host !== 'localhost' && isIP(host) === 0)) {
    throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `${flag}: "${text}" is not HOST:PORT (e.g. 127.0.0.1:5681 or [::1]:5681)`);
  }
  return { host: host === '' ? '127.0.0.1' : host, port };
}

/**
 * Where other replicas reach a server listening on `host` (the URL its presence row advertises):
 * the address itself, or for a wildcard (0.0.0.0, ::) the first non-loopback address of that
 * family on this host — the cp's certificate names every local address then — else loopback.
 */
export function advertisedHost(host: string): string {
  if (host !== '0.0.0.0' && host !== '::') return host;
  const family = host === '::' ? 'IPv6' : 'IPv4';
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && a.family === family && !a.address.startsWith('fe80:')) return a.address;
  }
  return family === 'IPv6' ? '::1' : '127.0.0.1';
}
