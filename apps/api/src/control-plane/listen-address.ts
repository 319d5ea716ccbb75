import { MeshcapError } from '@meshcap/core';
import { isIP } from 'node:net';

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

/** 127.0.0.0/8, ::1 and `localhost`: where plaintext is allowed (nothing off this host can listen in). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\./.test(h) || /^::ffff:127\./.test(h);
}
