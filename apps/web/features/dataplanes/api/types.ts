/**
 * Response shapes of the dataplane routes (apps/api/src/schemas/dataplanes.ts and inspect.ts), from
 * the generated lib/api-types.ts.
 */
import type { DataplanePort, DataplaneSummary, Listener } from '../../../lib/api-types.ts';

export type {
  /** One row of `GET /api/meshes/{mesh}/dataplanes` (kumactl inspect dataplanes' columns). */
  DataplaneSummary,
  DataplaneList,
  DataplaneError,
  /** An inbound or outbound of the dataplane, with the counters of its listener. */
  DataplanePort,
  /** `GET /api/meshes/{mesh}/dataplanes/{name}`. */
  DataplaneDetail,
  /** One listener of `GET .../dataplanes/{name}/listeners`. */
  Listener,
  ListenerList,
  /** `GET .../dataplanes/{name}/diagram?direction=`. */
  PathDiagram,
} from '../../../lib/api-types.ts';

/** How the dataplane's traffic is captured: kernel REDIRECT, TPROXY, or explicit listeners (no capture). */
export type CaptureMode = DataplaneSummary['captureMode'];
export type Protocol = DataplanePort['protocol'];
export type Direction = Listener['direction'];
