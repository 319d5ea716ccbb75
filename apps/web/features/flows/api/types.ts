/**
 * Response shapes of the flow routes, as the control plane's OpenAPI document declares them
 * (apps/api/src/schemas/flows.ts, generated into lib/api-types.ts): a flow is core's `FlowRecord`
 * as JSON. The names are the dashboard's; the shapes are the schema's, so a schema change that the
 * dashboard does not follow fails its typecheck.
 */
import type { FlowDrops, FlowRecord as Flow, paths } from '../../../lib/api-types.ts';

export type {
  FlowRecord as Flow,
  FlowDrops,
  /** `GET /api/flows`: newest first. */
  FlowList,
  /** `GET /api/flows/{id}/diagram`. */
  FlowDiagram,
  /** `GET /api/flow-reasons`: core's registry of the codes `flow.reason` starts with. */
  FlowReasonList,
  FlowReason as FlowReasonEntry,
} from '../../../lib/api-types.ts';

export type FlowEndpoint = Flow['client'];
export type FlowVerdict = Flow['verdict'];
export type FlowHttp = NonNullable<Flow['http']>;
/** A gRPC call: service and method from the path, grpc-status and message from the trailers. */
export type FlowGrpc = NonNullable<FlowHttp['grpc']>;
/** "policy X did Y": `{type: 'MeshFaultInjection', name: 'fi-backend', action: 'delay 200ms'}`. */
export type FlowPolicyAction = Flow['policies'][number];
/** Milliseconds from the flow's start. */
export type FlowTimings = Flow['timings'];
/** The peer's identity as the TLS handshake proved it (`peer`: URI SANs), or `plaintext`. */
export type FlowTls = NonNullable<Flow['tls']>;

/**
 * Data of the stream's `dropped` event: flows lost so far, for this client included. The stream is
 * `text/event-stream`, which the OpenAPI document describes in words only (`/api/flows/stream`).
 */
export interface FlowStreamDrops {
  dropped: number;
  drops: FlowDrops;
  /** Events this client was too slow for. */
  skipped: number;
  /** Flows gone before a resume could replay them. */
  missed: number;
}

type FlowListQuery = NonNullable<paths['/api/flows']['get']['parameters']['query']>;

/** The filters of `GET /api/flows` (`requestId`: the hops of one request), `since` in ms since the epoch. */
export type FlowQuery = Omit<FlowListQuery, 'since'> & { since?: number };
