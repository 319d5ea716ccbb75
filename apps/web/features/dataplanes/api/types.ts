/**
 * Response shapes of the dataplane routes (apps/api/src/schemas/dataplanes.ts and inspect.ts), from
 * the generated lib/api-types.ts.
 */
import type { components } from '../../../lib/api-types.ts';

type Schemas = components['schemas'];

/** One row of `GET /api/meshes/{mesh}/dataplanes` (kumactl inspect dataplanes' columns). */
export type DataplaneSummary = Schemas['DataplaneSummary'];
export type DataplaneList = Schemas['DataplaneList'];
export type DataplaneError = Schemas['DataplaneError'];
/** How the dataplane's traffic is captured: kernel REDIRECT, TPROXY, or explicit listeners (no capture). */
export type CaptureMode = DataplaneSummary['captureMode'];
/** An inbound or outbound of the dataplane, with the counters of its listener. */
export type DataplanePort = Schemas['DataplanePort'];
export type Protocol = DataplanePort['protocol'];
/** `GET /api/meshes/{mesh}/dataplanes/{name}`. */
export type DataplaneDetail = Schemas['DataplaneDetail'];
/** One listener of `GET .../dataplanes/{name}/listeners`. */
export type Listener = Schemas['Listener'];
export type ListenerList = Schemas['ListenerList'];
export type Direction = Listener['direction'];
/** `GET .../dataplanes/{name}/diagram?direction=`. */
export type PathDiagram = Schemas['PathDiagram'];
