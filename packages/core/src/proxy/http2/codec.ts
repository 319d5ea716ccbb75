import type { Socket } from 'node:net';
import type { Accepted, EngineContext } from '../context.ts';
import { HttpSession, type HttpTimeouts } from '../http/session.ts';
import { H2_PREFACE, Http2Session } from './session.ts';

/**
 * Which codec serves a connection of an HTTP listener, as the HttpConnectionManager's `codec_type`
 * says: HTTP2 always HTTP/2, HTTP1 always HTTP/1.1, AUTO by the first bytes (the HTTP/2 connection
 * preface, as Envoy's AUTO codec decides). meshcap dp does not translate between HTTP/1.1 and
 * HTTP/2, so AUTO only looks when the upstream speaks HTTP/2 (Kuma's http2/grpc services): an
 * HTTP/1.1 upstream keeps the HTTP/1.1 path untouched, and a preface sent to it is answered by the
 * HTTP/1.1 parser (as an HTTP1 codec does).
 */
export function serveHttp(ctx: EngineContext, a: Accepted, socket: Socket, timeouts: HttpTimeouts): void {
  const codec = a.listener.config.codec ?? 'auto';
  if (codec === 'http2') {
    new Http2Session(ctx, a, socket, timeouts);
    return;
  }
  if (codec === 'http1' || !a.listener.cluster.config.http2) {
    new HttpSession(ctx, a, socket, timeouts);
    return;
  }
  let seen: Buffer | undefined;
  const stop = (): void => {
    socket.off('data', onData);
    socket.off('end', gone);
    socket.setTimeout(0);
    socket.pause();
  };
  const onData = (chunk: Buffer): void => {
    seen = seen ? Buffer.concat([seen, chunk]) : chunk;
    const n = Math.min(seen.length, H2_PREFACE.length);
    const h2 = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
    if (h2 && seen.length < H2_PREFACE.length) return;
    stop();
    // The bytes read go back to the socket: the chosen codec reads them first.
    socket.unshift(seen);
    if (h2) new Http2Session(ctx, a, socket, timeouts);
    else new HttpSession(ctx, a, socket, timeouts);
  };
  // A client that leaves before saying anything: nothing to serve.
  const gone = (): void => {
    stop();
    socket.destroy();
  };
  socket.on('data', onData);
  socket.once('end', gone);
  if (timeouts.idleTimeoutMs > 0) socket.setTimeout(timeouts.idleTimeoutMs, gone);
  socket.resume();
}
