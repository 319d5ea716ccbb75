import type { FlowReason } from './reasons.ts';
/** Which side of the workload a flow belongs to: traffic to it (inbound) or from it (outbound). */
export type FlowDirection = 'inbound' | 'outbound';

/**
 * How the connection reached the proxy: an iptables/nft REDIRECT (original destination read with
 * SO_ORIGINAL_DST), a TPROXY divert (original destination = the socket's local address), or an
 * explicit listener the client called directly (non-transparent mode).
 */
export type CaptureKind = 'redirect' | 'tproxy' | 'explicit';

/** What happened to the flow. `faulted` means a fault-injection policy answered instead of the upstream. */
export type FlowVerdict = 'forwarded' | 'denied' | 'faulted' | 'error';

export type FlowProtocol = 'tcp' | 'http';

export interface FlowAddress {
  address: string;
  port: number;
}

/** "policy X did Y": one action a policy took on this flow, in the order the passes ran. */
export interface FlowPolicyAction {
  /** Policy kind, e.g. `MeshFaultInjection`. */
  type: string;
  /** Policy name, e.g. `fi-backend`. */
  name: string;
  /** What it did, e.g. `abort 503`, `delay 200ms`, `deny`, `retry 2/3 after 503`. */
  action: string;
}

/** Per-request details of an HTTP flow. */
export interface FlowHttp {
  method: string;
  /** The `Host` header (or the authority of an absolute-form target). */
  authority: string;
  path: string;
  /** Response status sent to the client; undefined when no response head was sent. */
  status?: number;
  /** Body bytes of the request and of the response (heads not included). */
  requestBytes: number;
  responseBytes: number;
  /** The `x-request-id` the request carried upstream (ours when the client sent none). */
  requestId: string;
  /** True when the request switched protocols (101, e.g. WebSocket); bytes then include the tunnel. */
  upgraded?: boolean;
  /** Upstream attempts made (more than 1 when a retry policy acted). */
  attempts: number;
  /** `HTTP/2` for a stream of an HTTP/2 connection; absent for HTTP/1.x. */
  version?: 'HTTP/2';
  /** A gRPC call (content-type application/grpc): its service and method, and the status from the trailers. */
  grpc?: FlowGrpc;
}

/** One gRPC call, from `:path` (`/pkg.Service/Method`) and the `grpc-status` / `grpc-message` the client got. */
export interface FlowGrpc {
  service: string;
  method: string;
  /** The grpc-status sent to the client (0 OK … 16 UNAUTHENTICATED); undefined when the stream ended without one. */
  status?: number;
  message?: string;
}

/** Milliseconds, measured from the flow's start (accept for TCP, request head for HTTP). */
export interface FlowTimings {
  /** Upstream TCP connect took this long; 0 for a reused keep-alive connection; undefined if never connected. */
  connectMs?: number;
  /** First byte from the upstream (response head for HTTP) arrived after this long. */
  firstByteMs?: number;
  totalMs: number;
}

/**
 * How the peer came in when its mesh has mTLS on: `mtls` with its certificate's URI SANs
 * (`verified` when the mesh CA signed it and it is in the mesh), or `plaintext` (PERMISSIVE; its
 * identity is then only the source address). Outbound: the server's identity.
 */
export interface FlowTls {
  mode: 'mtls' | 'plaintext';
  verified: boolean;
  /** URI SANs of the peer certificate: `spiffe://<mesh>/<service>`, `kuma://<tag>/<value>`. */
  peer?: string[];
  /** `TLSv1.3`. */
  version?: string;
  /** `TLS_AES_256_GCM_SHA384`. */
  cipher?: string;
}

/** One connection (TCP) or one request (HTTP) through the dataplane. */
export interface FlowRecord {
  /** Unique across the mesh: a per-process random prefix and a sequence number. */
  id: string;
  /** Flows of requests on one keep-alive connection share it; for TCP it equals the flow's own connection. */
  connectionId: string;
  /** Wall-clock start, milliseconds since the epoch. */
  start: number;
  mesh: string;
  dataplane: string;
  direction: FlowDirection;
  /** The listener that handled it, Envoy/Kuma style: `inbound:198.18.0.10:5000`, `outbound:passthrough:ipv4`. */
  listener: string;
  /** The cluster the upstream belongs to: `localhost:5000`, `backend`, `outbound:passthrough:ipv4`. */
  cluster: string;
  capture: CaptureKind;
  protocol: FlowProtocol;
  /** The peer that connected to the proxy. */
  client: FlowAddress;
  /** Where the client was going: the original destination (transparent) or the listener address (explicit). */
  destination: FlowAddress;
  /** The upstream address actually connected to; undefined when no upstream connection was made. */
  upstream?: FlowAddress;
  /** Wire bytes client→upstream and upstream→client (TCP: the whole stream; HTTP: this request with heads). */
  bytes: { fromClient: number; toClient: number };
  http?: FlowHttp;
  timings: FlowTimings;
  verdict: FlowVerdict;
  /** Why, for anything but a plain `forwarded`: a code of the registry in reasons.ts (`upstream_connect_refused`, `bad_request: …`). */
  reason?: FlowReason;
  /** How the TCP stream ended: `fin` both ways, or who reset it, or a timeout. */
  close?: 'fin' | 'client_reset' | 'upstream_reset' | 'idle_timeout' | 'local' | 'drain';
  policies: FlowPolicyAction[];
  /** Set on listeners and clusters with mTLS (see FlowTls). */
  tls?: FlowTls;
}
