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

/**
 * A bounded ring of the most recent flows. Publishing is O(1) with no allocation besides the
 * record itself; when the ring is full the oldest flow is overwritten and counted in `evicted`.
 * Readers either pull with a cursor (`since`, which reports what they missed) or subscribe
 * synchronously; with no subscriber, publishing does not look further than an array length.
 */
export class FlowLog {
  private readonly slots: Array<FlowRecord | undefined>;
  /** Sequence number of the next flow; equals the number ever published. */
  private seq = 0;
  private evictedCount = 0;
  private subscriberErrorCount = 0;
  /** Replaced, never mutated, so a callback may unsubscribe while we iterate. */
  private subscribers: readonly FlowSubscriber[] = [];

  constructor(readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`flow buffer capacity must be a positive integer, got ${capacity}`);
    this.slots = new Array<FlowRecord | undefined>(capacity);
  }

  publish(flow: FlowRecord): void {
    if (this.seq >= this.capacity) this.evictedCount++;
    this.slots[this.seq % this.capacity] = flow;
    this.seq++;
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
    for (let i = 1; i <= n; i++) {
      const flow = this.slots[(this.seq - i) % this.capacity];
      if (flow) out.push(flow);
    }
    return out;
  }

  /** Flows published at or after `cursor` (oldest first, at most `limit`), and the cursor to continue from. */
  since(cursor: number, limit = this.capacity): FlowPage {
    const oldest = this.seq - this.size;
    const from = Math.max(cursor, oldest);
    const missed = Math.max(0, oldest - cursor);
    const to = Math.min(this.seq, from + Math.max(0, Math.floor(limit)));
    const flows: FlowRecord[] = [];
    for (let s = from; s < to; s++) {
      const flow = this.slots[s % this.capacity];
      if (flow) flows.push(flow);
    }
    return { flows, cursor: to, missed };
  }

  /** The cursor a new reader starts from to see only flows published from now on. */
  get cursor(): number {
    return this.seq;
  }

  find(id: string): FlowRecord | undefined {
    for (let i = 1; i <= this.size; i++) {
      const flow = this.slots[(this.seq - i) % this.capacity];
      if (flow?.id === id) return flow;
    }
    return undefined;
  }

  get size(): number {
    return Math.min(this.seq, this.capacity);
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
