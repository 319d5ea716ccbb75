import { FlowLog, type FlowDirection, type FlowProtocol, type FlowRecord, type FlowVerdict } from '@meshcap/core';

export interface FlowFilter {
  mesh?: string;
  dataplane?: string;
  direction?: FlowDirection;
  verdict?: FlowVerdict;
  protocol?: FlowProtocol;
  /** Only flows that started at or after this time (ms since the epoch). */
  since?: number;
  /** Only the flows of this `x-request-id` (the hops of one request). */
  requestId?: string;
}

export function matchesFlow(flow: FlowRecord, f: FlowFilter): boolean {
  return (
    (f.mesh === undefined || flow.mesh === f.mesh) &&
    (f.dataplane === undefined || flow.dataplane === f.dataplane) &&
    (f.direction === undefined || flow.direction === f.direction) &&
    (f.verdict === undefined || flow.verdict === f.verdict) &&
    (f.protocol === undefined || flow.protocol === f.protocol) &&
    (f.since === undefined || flow.start >= f.since) &&
    (f.requestId === undefined || flow.http?.requestId === f.requestId)
  );
}

/** A flow and its position in the control plane's log (the SSE event id). */
export type FlowListener = (flow: FlowRecord, seq: number) => void;

export interface DataplaneFlowCounters {
  mesh: string;
  dataplane: string;
  received: number;
  /** Flows the dataplane itself reported dropping (its buffer overflowed while the control plane was away). */
  droppedByDataplane: number;
}

export interface FlowDrops {
  /** Flows evicted from the control plane's ring before anyone read them. */
  controlPlane: number;
  /** Flows dataplanes reported dropping from their own buffers. */
  dataplanes: number;
  total: number;
}

/**
 * Flows in memory (never in the database): a bounded ring fed by every dataplane's batches, with
 * per-dataplane counters and every drop counted — in the ring, or reported by a dataplane.
 */
export class FlowHub {
  private readonly log: FlowLog;
  private readonly counters = new Map<string, DataplaneFlowCounters>();
  /** The JSON text of the flow published last, made once for every live stream that sends it. */
  private textOf: FlowRecord | undefined;
  private text = '';

  constructor(capacity = 50_000) {
    this.log = new FlowLog(capacity);
  }

  /** Adds a dataplane's batch. `dropped`: how many flows it dropped since its previous batch. */
  ingest(source: { mesh: string; dataplane: string }, flows: readonly FlowRecord[], dropped = 0): void {
    const key = `${source.mesh}/${source.dataplane}`;
    let c = this.counters.get(key);
    if (!c) {
      c = { mesh: source.mesh, dataplane: source.dataplane, received: 0, droppedByDataplane: 0 };
      this.counters.set(key, c);
    }
    c.received += flows.length;
    c.droppedByDataplane += dropped;
    for (const flow of flows) this.log.publish(flow);
  }

  /** Newest first. */
  list(filter: FlowFilter, limit: number): FlowRecord[] {
    const out: FlowRecord[] = [];
    // Records are built as the walk reaches them: a filtered page stops early.
    for (const flow of this.log.newestFirst()) {
      if (!matchesFlow(flow, filter)) continue;
      out.push(flow);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Every flow held, newest first, each built as the walk reaches it (no array of 50,000 records at once). */
  all(): Iterable<FlowRecord> {
    return this.log.newestFirst();
  }

  find(id: string): FlowRecord | undefined {
    return this.log.find(id);
  }

  /** Flows after event id `lastSeq` that match, oldest first, with their event ids; `missed`: evicted before this read. */
  replay(lastSeq: number, filter: FlowFilter): { flows: Array<{ flow: FlowRecord; seq: number }>; missed: number } {
    const page = this.log.since(lastSeq + 1);
    const first = page.cursor - page.flows.length;
    const flows = page.flows.map((flow, i) => ({ flow, seq: first + i })).filter(({ flow }) => matchesFlow(flow, filter));
    return { flows, missed: page.missed };
  }

  /** Calls `fn` for every flow added from now on, with its event id. */
  subscribe(fn: FlowListener): () => void {
    return this.log.subscribe((flow) => fn(flow, this.log.cursor - 1));
  }

  /**
   * A flow as JSON text. Every live stream sends the flow being published: the text is made once
   * for all of them (and not at all when no stream's filter takes it).
   */
  json(flow: FlowRecord): string {
    if (this.textOf !== flow) {
      this.text = JSON.stringify(flow);
      this.textOf = flow;
    }
    return this.text;
  }

  /** The event id of the newest flow (-1 when none yet). */
  get lastSeq(): number {
    return this.log.cursor - 1;
  }

  drops(): FlowDrops {
    const controlPlane = this.log.stats().evicted;
    let dataplanes = 0;
    for (const c of this.counters.values()) dataplanes += c.droppedByDataplane;
    return { controlPlane, dataplanes, total: controlPlane + dataplanes };
  }

  dataplaneCounters(): DataplaneFlowCounters[] {
    return [...this.counters.values()];
  }

  stats(): ReturnType<FlowLog['stats']> {
    return this.log.stats();
  }
}
