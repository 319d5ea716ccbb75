import type { HttpCodec, Http2Options } from '../config.ts';
import { fields, int, reject, str } from '../xds-config/reader.ts';

/**
 * The HTTP/2 settings meshcap dp runs with, from Envoy's Http2ProtocolOptions where the resources
 * set them. Envoy's own defaults are nearly unbounded (2^31-1 streams); a Node process has one heap
 * for every connection, so unset values take bounds here instead, and the limits against abuse
 * (header list size, rapid reset) are always on.
 */

/** Streams a client may have open at once on one connection (SETTINGS_MAX_CONCURRENT_STREAMS). */
export const DEFAULT_MAX_CONCURRENT_STREAMS = 1024;
/** SETTINGS_MAX_HEADER_LIST_SIZE: Envoy's default max_request_headers_kb is 60. */
export const MAX_HEADER_LIST_SIZE = 60 * 1024;
/** Header fields per block (Envoy's max_headers_count default is 100; pseudo-headers on top). */
export const MAX_HEADER_PAIRS = 128;
/** Envoy's default initial windows: 256 MiB per stream would let one client pin memory, so 1 MiB per stream, 16 MiB per connection (Envoy's recommended edge values). */
export const DEFAULT_STREAM_WINDOW = 1024 * 1024;
export const DEFAULT_CONNECTION_WINDOW = 16 * 1024 * 1024;
/** Node's per-session bound on buffered frames and header blocks (MB). */
export const MAX_SESSION_MEMORY_MB = 32;

/**
 * Envoy's premature-reset mitigation (CVE-2023-44487, `premature_reset_total_stream_count`): once a
 * connection has closed this many streams (or earlier when half of this many were reset), it is
 * drained (GOAWAY) when at least half of its streams were reset by the client before they completed.
 */
export const PREMATURE_RESET_STREAM_COUNT = 500;
/** A reset counts as premature when the stream lived less than this (Envoy's premature_reset_min_stream_lifetime, 1 s). */
export const PREMATURE_RESET_MIN_LIFETIME_MS = 1000;

const CODECS: Readonly<Record<string, HttpCodec>> = { AUTO: 'auto', HTTP1: 'http1', HTTP2: 'http2' };

/** The HttpConnectionManager's `codec_type` (Envoy's default AUTO). HTTP3 is refused. */
export function decodeCodecType(value: unknown, where: string): HttpCodec {
  if (value === undefined) return 'auto';
  const name = str(value, where);
  const codec = CODECS[name];
  if (!codec) reject(where, `"${name}" is not supported (AUTO, HTTP1, HTTP2)`);
  return codec;
}

function window(value: unknown, where: string): number {
  const n = int(value, where);
  // RFC 9113 §6.9.2 bounds; Envoy's are 65535..2^31-1 as well.
  if (n < 65535 || n > 2 ** 31 - 1) reject(where, 'must be 65535..2147483647');
  return n;
}

/** Http2ProtocolOptions: stream concurrency and flow-control windows; the fields meshcap dp does not honour are refused. */
export function decodeHttp2Options(value: unknown, where: string): Http2Options {
  const o = fields(value, where, ['max_concurrent_streams', 'initial_stream_window_size', 'initial_connection_window_size']);
  const out: Http2Options = {};
  if (o['max_concurrent_streams'] !== undefined) {
    out.maxConcurrentStreams = int(o['max_concurrent_streams'], `${where}.max_concurrent_streams`);
    if (out.maxConcurrentStreams < 1) reject(`${where}.max_concurrent_streams`, 'must be at least 1');
  }
  if (o['initial_stream_window_size'] !== undefined) out.initialStreamWindowSize = window(o['initial_stream_window_size'], `${where}.initial_stream_window_size`);
  if (o['initial_connection_window_size'] !== undefined) out.initialConnectionWindowSize = window(o['initial_connection_window_size'], `${where}.initial_connection_window_size`);
  return out;
}

/** Node's http2 SETTINGS for our side of a connection. */
export function localSettings(o: Http2Options | undefined): { maxConcurrentStreams: number; initialWindowSize: number; maxHeaderListSize: number; enablePush: false } {
  return {
    maxConcurrentStreams: o?.maxConcurrentStreams ?? DEFAULT_MAX_CONCURRENT_STREAMS,
    initialWindowSize: o?.initialStreamWindowSize ?? DEFAULT_STREAM_WINDOW,
    maxHeaderListSize: MAX_HEADER_LIST_SIZE,
    enablePush: false,
  };
}

export function connectionWindow(o: Http2Options | undefined): number {
  return o?.initialConnectionWindowSize ?? DEFAULT_CONNECTION_WINDOW;
}
