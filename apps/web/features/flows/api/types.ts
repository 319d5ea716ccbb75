/** Response shapes of the flow routes (realign with apps/api/API.md). */
import type { Direction, Protocol } from '../../dataplanes/api/types.ts';

export interface FlowEndpoint {
  address: string;
  port: number;
}

export type FlowVerdict = 'forwarded' | 'denied' | 'faulted' | 'error' | (string & {});

export interface FlowHttp {
  method: string;
  authority?: string;
  path: string;
  status: number | null;
  requestBytes?: number;
  responseBytes?: number;
}

/** What one policy did to this flow ("MeshFaultInjection fault-backend delayed 200ms"). */
export interface FlowPolicyAction {
  type: string;
  name: string;
  action: string;
}

export interface FlowTimings {
  connectMs?: number | null;
  firstByteMs?: number | null;
  totalMs?: number | null;
}

export interface Flow {
  id: string;
  mesh: string;
  dataplane: string;
  direction: Direction;
  listener: string;
  capture: 'redirect' | 'tproxy' | 'explicit' | (string & {});
  startTime: string;
  client: FlowEndpoint;
  originalDestination: FlowEndpoint;
  upstream: FlowEndpoint | null;
  protocol: Protocol;
  http?: FlowHttp | null;
  bytesSent?: number;
  bytesReceived?: number;
  timings: FlowTimings;
  verdict: FlowVerdict;
  reason?: string | null;
  policies: FlowPolicyAction[];
}

/** `GET /api/flows`. */
export interface FlowList {
  items: Flow[];
  /** Flows the control plane's bounded buffer dropped (never silent). */
  dropped?: number;
}

/** `GET /api/flows/{id}/diagram`. */
export interface FlowDiagram {
  mermaid: string;
}

export interface FlowQuery {
  mesh?: string;
  dataplane?: string;
  direction?: Direction;
  verdict?: string;
  since?: string;
  limit?: number;
}
