import { randomBytes } from 'node:crypto';
import type { FlowRecord } from './flow.ts';

export type FlowSubscriber = (flow: FlowRecord) => void;

export interface FlowLogStats {
  capacity: number;
  /** Flows held now. */
  size: number;
  /** Flows ever published. */
  published: number;
  /** Flows overwritten by newer ones before anyone could read them with `since()`; counted, never silent. */
  evicted: number;
  subscribers: number;
  /** Subscriber callbacks that threw (the flow still reached the buffer and the other subscribers). */
  subscriberErrors: number;
}

/** A page of flows read with a cursor; `missed` says how many were evicted between two reads. */
export interface FlowPage {
  flows: FlowRecord[];
  /** Pass this to the next `since()` call. */
  cursor: number;
  /** Flows published after the given cursor that were already evicted when this read happened. */
  missed: number;
}

/** Bytes per flow the ring starts with; it doubles (up to MAX_BYTES_PER_FLOW) when flows are larger. */
const START_BYTES_PER_FLOW = 512;
const MAX_BYTES_PER_FLOW = 8192;

/**
 * A bounded ring of the most recent flows. Each published flow is kept as its JSON, written into
 * one preallocated byte ring (off the JS heap), and parsed again only when read: a dataplane that
 * keeps 10,000 flows then holds no 10,000 object graphs that live just long enough to be promoted
 * to the old generation and die there (what made full GCs, and tail latency, in the data path).
 * Publishing is O(1) plus the serialisation; when the ring is full the oldest flow is overwritten
 * and counted in `evicted`. Readers either pull with a cursor (`since`, which reports what they
 * missed) or subscribe synchronously (they get the record itself); with no subscriber, publishing
 * does not look further than an array length. Records read back are new objects each time.
 */
export class FlowLog {
  /** Where flow `seq` starts in `bytes`, and how long it is, at slot `seq % capacity`. */
  private readonly starts: Uint32Array;
  private readonly lengths: Uint32Array;
  private bytes: Buffer;
  /** Next write position in `bytes`. */
  private pos = 0;
  /** Sequence number of the next flow; equals the number ever published. */
  private seq = 0;
  /** Sequence number of the oldest flow still held. */
  private oldest = 0;
  private evictedCount = 0;
  private subscriberErrorCount = 0;
  /** Replaced, never mutated, so a callback may unsubscribe while we iterate. */
  private subscribers: readonly FlowSubscriber[] = [];

  constructor(readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`flow buffer capacity must be a positive integer, got ${capacity}`);
    this.starts = new Uint32Array(capacity);
    this.lengths = new Uint32Array(capacity);
    this.bytes = Buffer.allocUnsafeSlow(Math.max(4096, capacity * START_BYTES_PER_FLOW));
  }

  publish(flow: FlowRecord): void {
    this.keep(JSON.stringify(flow));
    const subs = this.subscribers;
    if (subs.length === 0) return;
    for (const fn of subs) {
      try {
        fn(flow);
      } catch {
        this.subscriberErrorCount++;
      }
    }
  }

  private keep(json: string): void {
    const length = Buffer.byteLength(json);
    if (length > this.bytes.length) this.resize(length * 2); // one flow larger than the ring (rare)
    for (;;) {
      // Circular layout, oldest first: a flow that does not fit before the end goes to 0, and the
      // tail it leaves behind dies with the flows that start there (the oldest).
      const wrap = length > this.bytes.length - this.pos;
      const start = wrap ? 0 : this.pos;
      const end = start + length;
      const tail = wrap ? this.pos : Infinity;
      let grow = false;
      while (this.oldest < this.seq) {
        const slot = this.oldest % this.capacity;
        const s = this.starts[slot]!;
        const inTheWay = s >= tail || (s < end && s + this.lengths[slot]! > start);
        const full = this.seq - this.oldest >= this.capacity;
        if (!inTheWay && !full) break;
        // Fewer than `capacity` flows would be kept: make the ring larger instead (bounded).
        if (!full && this.bytes.length < this.capacity * MAX_BYTES_PER_FLOW) {
          grow = true;
          break;
        }
        this.oldest++;
        this.evictedCount++;
      }
      if (grow) {
        this.resize(Math.min(this.capacity * MAX_BYTES_PER_FLOW, Math.ceil(this.bytes.length * 1.5)));
        continue;
      }
      const slot = this.seq % this.capacity;
      this.starts[slot] = start;
      this.lengths[slot] = this.bytes.write(json, start, 'utf8');
      this.pos = end;
      this.seq++;
      return;
    }
  }

  private resize(size: number): void {
    const next = Buffer.allocUnsafeSlow(size);
    let pos = 0;
    for (let s = this.oldest; s < this.seq; s++) {
      const slot = s % this.capacity;
      const start = this.starts[slot]!;
      const length = this.lengths[slot]!;
      this.bytes.copy(next, pos, start, start + length);
      this.starts[slot] = pos;
      pos += length;
    }
    this.bytes = next;
    this.pos = pos;
  }

  private read(seq: number): FlowRecord {
    const slot = seq % this.capacity;
    const start = this.starts[slot]!;
    return JSON.parse(this.bytes.toString('utf8', start, start + this.lengths[slot]!)) as FlowRecord;
  }

  get hasSubscribers(): boolean {
    return this.subscribers.length !== 0;
  }

  /** Calls `fn` synchronously for every flow published from now on. Returns the unsubscribe function. */
  subscribe(fn: FlowSubscriber): () => void {
    this.subscribers = [...this.subscribers, fn];
    return () => {
      this.subscribers = this.subscribers.filter((s) => s !== fn);
    };
  }

  /** The most recent flows, newest first. */
  recent(limit = this.capacity): FlowRecord[] {
    const n = Math.min(Math.max(0, Math.floor(limit)), this.size);
    const out: FlowRecord[] = [];
    for (let i = 1; i <= n; i++) out.push(this.read(this.seq - i));
    return out;
  }

  /** The flows held, newest first, each parsed only when the iteration reaches it (for filtered reads that stop early). */
  *newest(): Generator<FlowRecord, void, undefined> {
    // Stops where a publish during the iteration has evicted what comes next.
    for (let s = this.seq - 1; s >= this.oldest; s--) yield this.read(s);
  }

  /** Flows published at or after `cursor` (oldest first, at most `limit`), and the cursor to continue from. */
  since(cursor: number, limit = this.capacity): FlowPage {
    const from = Math.max(cursor, this.oldest);
    const missed = Math.max(0, this.oldest - cursor);
    const to = Math.min(this.seq, from + Math.max(0, Math.floor(limit)));
    const flows: FlowRecord[] = [];
    for (let s = from; s < to; s++) flows.push(this.read(s));
    return { flows, cursor: to, missed };
  }

  /** The cursor a new reader starts from to see only flows published from now on. */
  get cursor(): number {
    return this.seq;
  }

  find(id: string): FlowRecord | undefined {
    // Look for the id's JSON in the bytes before parsing anything.
    const needle = Buffer.from(JSON.stringify(id));
    for (let s = this.seq - 1; s >= this.oldest; s--) {
      const slot = s % this.capacity;
      const start = this.starts[slot]!;
      const at = this.bytes.indexOf(needle, start);
      if (at < 0 || at >= start + this.lengths[slot]!) continue;
      const flow = this.read(s);
      if (flow.id === id) return flow;
    }
    return undefined;
  }

  get size(): number {
    return this.seq - this.oldest;
  }

  /** Bytes the ring holds for its flows now (its buffer size). */
  get byteCapacity(): number {
    return this.bytes.length;
  }

  stats(): FlowLogStats {
    return {
      capacity: this.capacity,
      size: this.size,
      published: this.seq,
      evicted: this.evictedCount,
      subscribers: this.subscribers.length,
      subscriberErrors: this.subscriberErrorCount,
    };
  }
}

/**
 * Flow and connection ids: a random per-process prefix and a counter, so ids from many
 * dataplanes never collide and making one costs a number-to-string conversion.
 */
export class FlowIds {
  private n = 0;
  readonly prefix: string;

  constructor(prefix = randomBytes(4).toString('hex')) {
    this.prefix = prefix;
  }

  next(): string {
    return `${this.prefix}-${(++this.n).toString(36)}`;
  }
}
