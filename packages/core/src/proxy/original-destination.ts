import type { Socket } from 'node:net';
import { isNotRedirected, originalDestination as soOriginalDst } from '@meshcap/native';
import type { CaptureKind, FlowAddress } from '../flows/index.ts';

export interface Destination extends FlowAddress {
  family: 4 | 6;
}

/**
 * Where a captured connection was going. After a REDIRECT the kernel rewrote the destination, so
 * it is read from conntrack with SO_ORIGINAL_DST (IP6T_SO_ORIGINAL_DST for IPv6) through
 * @meshcap/native; under TPROXY nothing was rewritten and the socket's local address is the
 * original destination. Throws (errno-coded, e.g. ENOENT for "not redirected") when it cannot tell.
 */
export function originalDestination(socket: Socket, capture: CaptureKind): Destination {
  if (capture === 'redirect') return soOriginalDst(socket);
  // The TPROXY listener also receives what the nat rules REDIRECT to its port (the proxy calling
  // its own workload's address); those were rewritten, so ask conntrack first.
  if (capture === 'tproxy') {
    try {
      return soOriginalDst(socket);
    } catch (err) {
      if (!isNotRedirected(err)) throw err;
    }
  }
  const address = socket.localAddress;
  const port = socket.localPort;
  if (address === undefined || port === undefined) throw Object.assign(new Error('socket has no local address'), { code: 'ERR_SOCKET_CLOSED' });
  return { address, port, family: socket.localFamily === 'IPv6' ? 6 : 4 };
}
