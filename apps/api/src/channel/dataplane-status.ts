export interface DataplaneError {
  time: string;
  message: string;
  /** The config version a NACK refused. */
  version?: string;
}

/** What the control plane knows of a dataplane's connection (kumactl inspect dataplanes' columns). */
export interface DataplaneStatus {
  connected: boolean;
  /** Last message from it (ISO 8601), null if never connected since this control plane started. */
  lastSeen: string | null;
  connectedAt: string | null;
  /** Version it ACKed last: what it runs. */
  configVersion: string | null;
  /** Version sent and not yet answered. */
  pendingVersion: string | null;
  /** Configs it ACKed since it connected to this control plane. */
  totalUpdates: number;
  totalNacks: number;
  /** Most recent first, at most 20: NACKs, compile failures, protocol errors. */
  errors: DataplaneError[];
  /** `unix` or the peer's IP address. */
  remote: string | null;
  /** Where its config comes from: the ADS stream (`xds`), or the dataplane channel (`channel`); null before the first. */
  configSource: 'xds' | 'channel' | null;
  /** ADS streams open from it now (a proxyless client may have several). */
  xdsStreams: number;
}

const MAX_ERRORS = 20;

/**
 * The status of every dataplane this control plane has heard from, kept by whichever side talks
 * to it: the dataplane channel (connection, flows) and the ADS server (config versions, ACK/NACK).
 */
export class DataplaneStatuses {
  private readonly byKey = new Map<string, DataplaneStatus>();

  get(mesh: string, name: string): DataplaneStatus {
    return (
      this.byKey.get(`${mesh}/${name}`) ?? {
        connected: false,
        lastSeen: null,
        connectedAt: null,
        configVersion: null,
        pendingVersion: null,
        totalUpdates: 0,
        totalNacks: 0,
        errors: [],
        remote: null,
        configSource: null,
        xdsStreams: 0,
      }
    );
  }

  /** The stored status of `mesh/name`, created on first use, to change in place. */
  mutable(key: string): DataplaneStatus {
    let s = this.byKey.get(key);
    if (!s) {
      const [mesh = '', name = ''] = key.split('/');
      s = { ...this.get(mesh, name) };
      this.byKey.set(key, s);
    }
    return s;
  }

  /** Every status heard of, by `mesh/name`. */
  entries(): IterableIterator<[string, DataplaneStatus]> {
    return this.byKey.entries();
  }

  addError(key: string, message: string, version?: string): void {
    const s = this.mutable(key);
    s.errors = [{ time: new Date().toISOString(), message, ...(version !== undefined ? { version } : {}) }, ...s.errors].slice(0, MAX_ERRORS);
  }

  seen(key: string): DataplaneStatus {
    const s = this.mutable(key);
    s.lastSeen = new Date().toISOString();
    return s;
  }
}
