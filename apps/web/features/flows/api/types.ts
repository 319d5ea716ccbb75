/**
 * Response shapes of the flow routes (apps/api/src/schemas/flows.ts): a flow is core's `FlowRecord`
 * (packages/core/src/flows/flow.ts) as JSON, written out here because the dashboard imports no core code.
 */
import type { Direction } from '../../dataplanes/api/types.ts';

export interface FlowEndpoint {
  address: string;
  port: number;
}

export type FlowVerdict = 'forwarded' | 'denied' | 'faulted' | 'error' | (string & {});

export interface FlowHttp {
  method: string;
  authority: string;
  path: string;
  /** Absent when no response head was sent. */
  status?: number;
  requestBytes: number;
  responseBytes: number;
  requestId: string;
  upgraded?: boolean;
  /** More than 1 when a retry policy acted. */
  attempts: number;
  /** `HTTP/2` for a stream of an HTTP/2 connection. */
  version?: 'HTTP/2';
  /** A gRPC call: service and method from the path, grpc-status and message from the trailers. */
  grpc?: FlowGrpc;
}

export interface FlowGrpc {
  service: string;
  method: string;
  status?: number;
  message?: string;
}

/** "policy X did Y": `{type: 'MeshFaultInjection', name: 'fi-backend', action: 'delay 200ms'}`. */
export interface FlowPolicyAction {
  type: string;
  name: string;
  action: string;
}

/** Milliseconds from the flow's start. */
export interface FlowTimings {
  connectMs?: number;
  firstByteMs?: number;
  totalMs: number;
}

export interface Flow {
  id: string;
  connectionId: string;
  /** Milliseconds since the epoch. */
  start: number;
  mesh: string;
  dataplane: string;
  direction: Direction;
  listener: string;
  cluster: string;
  capture: 'redirect' | 'tproxy' | 'explicit' | (string & {});
  protocol: 'tcp' | 'http' | (string & {});
  client: FlowEndpoint;
  /** The original destination (transparent) or the listener address (explicit). */
  destination: FlowEndpoint;
  upstream?: FlowEndpoint;
  bytes: { fromClient: number; toClient: number };
  http?: FlowHttp;
  timings: FlowTimings;
  verdict: FlowVerdict;
  reason?: string;
  close?: string;
  policies: FlowPolicyAction[];
  /** Set when the mesh runs mTLS: how the peer came in (its verified identity) or plaintext. */
  tls?: FlowTls;
}

/** The peer's identity as the TLS handshake proved it (`peer`: URI SANs), or `plaintext`. */
export interface FlowTls {
  mode: 'mtls' | 'plaintext' | (string & {});
  verified: boolean;
  peer?: string[];
  version?: string;
  cipher?: string;
}

export interface FlowDrops {
  /** Evicted from the control plane's ring. */
  controlPlane: number;
  /** Reported dropped by dataplanes (their buffers overflowed while the control plane was away). */
  dataplanes: number;
  total: number;
}

/** `GET /api/flows`: newest first. */
export interface FlowList {
  total: number;
  items: Flow[];
  /** Same as `drops.total`. */
  dropped: number;
  drops: FlowDrops;
}

/** Data of the stream's `dropped` event: flows lost so far, for this client included. */
export interface FlowStreamDrops {
  dropped: number;
  drops: FlowDrops;
  /** Events this client was too slow for. */
  skipped: number;
  /** Flows gone before a resume could replay them. */
  missed: number;
}

/** `GET /api/flows/{id}/diagram`. */
export interface FlowDiagram {
  id: string;
  mermaid: string;
}

export interface FlowQuery {
  mesh?: string;
  dataplane?: string;
  direction?: Direction;
  verdict?: string;
  since?: number;
  /** The hops of one request: the flows that carried this `x-request-id`. */
  requestId?: string;
  limit?: number;
}
