/** Response shapes of the dataplane routes, as apps/api/src/schemas/dataplanes.ts declares them. */

/** How the dataplane's traffic is captured: kernel REDIRECT, TPROXY, or explicit listeners (no capture). */
export type CaptureMode = 'redirect' | 'tproxy' | 'explicit';

export interface DataplaneError {
  time: string;
  message: string;
  /** Config version the error is about (a NACK), when there is one. */
  version?: string;
}

/** One row of `GET /api/meshes/{mesh}/dataplanes` (kumactl inspect dataplanes' columns). */
export interface DataplaneSummary {
  mesh: string;
  name: string;
  address: string;
  /** The inbounds' tags merged (several values of one key joined with ","). */
  tags: Record<string, string>;
  connected: boolean;
  status: 'online' | 'offline';
  lastSeen: string | null;
  connectedAt: string | null;
  /** The version the dataplane ACKed: what it runs. */
  configVersion: string | null;
  /** The version the control plane compiled for it now. */
  expectedVersion: string | null;
  /** Sent, not yet ACKed or NACKed. */
  pendingVersion: string | null;
  upToDate: boolean;
  captureMode: CaptureMode;
  totalUpdates: number;
  totalErrors: number;
  errors: DataplaneError[];
}

export interface DataplaneList {
  total: number;
  items: DataplaneSummary[];
}

export type Direction = 'inbound' | 'outbound';
export type Protocol = string;

/** An inbound or outbound of the dataplane, with the counters of its listener. */
export interface DataplanePort {
  /** Listener name, e.g. `inbound:198.18.0.2:5000`. */
  listener: string;
  address: string;
  port: number;
  protocol: Protocol;
  service?: string;
  tags: Record<string, string>;
  /** Inbound only: where the application listens. */
  serviceAddress?: string;
  servicePort?: number;
  /** Outbound of a mesh service under transparent proxying: its virtual IP, and the names the dataplane's DNS proxy answers with it. */
  vip?: string;
  dnsNames?: string[];
  /** Envoy-named counters of the listener (`downstream_cx_total`, …). */
  stats: Record<string, number>;
}

/** `GET /api/meshes/{mesh}/dataplanes/{name}`. */
export interface DataplaneDetail extends DataplaneSummary {
  inbounds: DataplanePort[];
  outbounds: DataplanePort[];
  /** Whether `stats` came from the running dataplane. */
  statsAvailable: boolean;
  /** The stored Kuma `Dataplane` resource. */
  resource: Record<string, unknown>;
  /** The Dataplane as it was applied or registered (YAML or JSON text). */
  source: string;
}

/** One listener of `GET .../dataplanes/{name}/listeners` (apps/api/src/schemas/inspect.ts). */
export interface Listener {
  name: string;
  direction: Direction;
  address: string;
  port: number;
  /** False for listeners reached by hand-off from a capture listener (Envoy `bind_to_port: false`). */
  bind: boolean;
  useOriginalDst: boolean;
  transparent: boolean;
  capture: CaptureMode;
  protocol: 'tcp' | 'http';
  cluster: string;
  service?: string;
  /** Network and HTTP filter names in chain order. */
  filters: string[];
  /** Envoy-named counters; empty while the dataplane is offline. */
  stats: Record<string, number>;
}

export interface ListenerList {
  configVersion: string;
  statsAvailable: boolean;
  items: Listener[];
}

/** `GET .../dataplanes/{name}/diagram?direction=`. */
export interface PathDiagram {
  direction: Direction;
  mermaid: string;
}
