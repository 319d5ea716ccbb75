import { randomBytes } from 'node:crypto';
import type { FlowGrpc, FlowHttp, FlowRecord } from './flow.ts';

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

// Slot layout. Every flow is copied at publish time into preallocated columns, so the record the
// caller built dies young (a scavenge frees it) instead of 10,000 retained object graphs living in
// old space, where every Mark-Compact walks them and every promotion copies them. Records are
// materialised again only when someone reads (admin /flows, the control plane's API).

/** Numbers of a slot: `nums[slot * NUMS + field]`. */
const N_START = 0;
const N_CLIENT_PORT = 1;
const N_DESTINATION_PORT = 2;
const N_UPSTREAM_PORT = 3;
const N_FROM_CLIENT = 4;
const N_TO_CLIENT = 5;
const N_STATUS = 6;
const N_REQUEST_BYTES = 7;
const N_RESPONSE_BYTES = 8;
const N_ATTEMPTS = 9;
const N_CONNECT_MS = 10;
const N_FIRST_BYTE_MS = 11;
const N_TOTAL_MS = 12;
const N_GRPC_STATUS = 13;
const NUMS = 14;

/**
 * Strings of a slot: `strs[slot * STRS + field]`. The ones kept here are shared (listener,
 * cluster, mesh names, enum values, reason codes), so a slot only points at strings that already
 * live in old space. Texts made per flow go to the text bytes below; their columns here hold only
 * those that do not fit there. The rare nested parts (policies, tls) are one JSON string each.
 */
const S_ID = 0;
const S_CONNECTION_ID = 1;
const S_MESH = 2;
const S_DATAPLANE = 3;
const S_DIRECTION = 4;
const S_LISTENER = 5;
const S_CLUSTER = 6;
const S_CAPTURE = 7;
const S_PROTOCOL = 8;
const S_CLIENT_ADDRESS = 9;
const S_DESTINATION_ADDRESS = 10;
const S_UPSTREAM_ADDRESS = 11;
const S_VERDICT = 12;
const S_REASON = 13;
const S_CLOSE = 14;
const S_METHOD = 15;
const S_AUTHORITY = 16;
const S_PATH = 17;
const S_REQUEST_ID = 18;
const S_GRPC_SERVICE = 19;
const S_GRPC_METHOD = 20;
const S_GRPC_MESSAGE = 21;
const S_POLICIES = 22;
const S_TLS = 23;
const STRS = 24;

/**
 * Texts made per flow or per connection (ids, addresses, path, request id) are copied as ASCII
 * bytes into the slot's `TEXT_BYTES`, in this order, with their lengths in `textLengths[slot *
 * TEXTS + field]` (-1: kept by reference in the string column `TEXT_COLUMN[field]`, or absent).
 */
const T_ID = 0;
const T_CONNECTION_ID = 1;
const T_CLIENT_ADDRESS = 2;
const T_DESTINATION_ADDRESS = 3;
const T_METHOD = 4;
const T_AUTHORITY = 5;
const T_PATH = 6;
const T_REQUEST_ID = 7;
const T_GRPC_SERVICE = 8;
const T_GRPC_METHOD = 9;
const T_GRPC_MESSAGE = 10;
const TEXTS = 11;
const TEXT_COLUMN: readonly number[] = [S_ID, S_CONNECTION_ID, S_CLIENT_ADDRESS, S_DESTINATION_ADDRESS, S_METHOD, S_AUTHORITY, S_PATH, S_REQUEST_ID, S_GRPC_SERVICE, S_GRPC_METHOD, S_GRPC_MESSAGE];
/** A typical HTTP flow's texts take about 120 bytes; a longer path or an IPv6 pair spills to references. */
const TEXT_BYTES = 192;

/** Which optional parts a slot holds: `flags[slot]`. */
const F_UPSTREAM = 1 << 0;
const F_HTTP = 1 << 1;
const F_STATUS = 1 << 2;
const F_UPGRADED_SET = 1 << 3;
const F_UPGRADED = 1 << 4;
const F_HTTP2 = 1 << 5;
const F_GRPC = 1 << 6;
const F_GRPC_STATUS = 1 << 7;
const F_CONNECT_MS = 1 << 8;
const F_FIRST_BYTE_MS = 1 << 9;

/**
 * A bounded ring of the most recent flows. Publishing is O(1) and allocates nothing but the JSON
 * of a flow's policies, if any (the record is copied into the slot's columns, see the layout
 * above); when the ring is full the oldest flow is overwritten and counted in `evicted`. Readers either pull with a cursor (`since`, which
 * reports what they missed) or subscribe synchronously and get the published record itself; with
 * no subscriber, publishing does not look further than an array length.
 */
export class FlowLog {
  private readonly nums: Float64Array;
  private readonly strs: Array<string | undefined>;
  private readonly flags: Uint16Array;
  /** Every slot's `TEXT_BYTES` of texts. */
  private readonly text: Buffer;
  private readonly textLengths: Int16Array;
  /** Where the next text of the slot being loaded starts. */
  private readPos = 0;
  /** Sequence number of the next flow; equals the number ever published. */
  private seq = 0;
  private evictedCount = 0;
  private subscriberErrorCount = 0;
  /** Replaced, never mutated, so a callback may unsubscribe while we iterate. */
  private subscribers: readonly FlowSubscriber[] = [];
  /** The last tls object and its JSON: the flows of one connection share one object, made once at its handshake. */
  private lastTls: FlowRecord['tls'];
  private lastTlsJson: string | undefined;

  constructor(readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`flow buffer capacity must be a positive integer, got ${capacity}`);
    this.nums = new Float64Array(capacity * NUMS);
    this.strs = new Array<string | undefined>(capacity * STRS).fill(undefined);
    this.flags = new Uint16Array(capacity);
    this.text = Buffer.alloc(capacity * TEXT_BYTES);
    this.textLengths = new Int16Array(capacity * TEXTS).fill(-1);
  }

  /** Records the flow as it is now: a change made to the record after this call is not seen by readers of the ring. */
  publish(flow: FlowRecord): void {
    if (this.seq >= this.capacity) this.evictedCount++;
    this.store(this.seq % this.capacity, flow);
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

  private store(slot: number, flow: FlowRecord): void {
    const nums = this.nums;
    const strs = this.strs;
    const n = slot * NUMS;
    const s = slot * STRS;
    let f = 0;
    nums[n + N_START] = flow.start;
    const t = slot * TEXTS;
    const end = (slot + 1) * TEXT_BYTES;
    let pos = slot * TEXT_BYTES;
    pos = this.putText(pos, end, t + T_ID, s + S_ID, flow.id);
    pos = this.putText(pos, end, t + T_CONNECTION_ID, s + S_CONNECTION_ID, flow.connectionId);
    strs[s + S_MESH] = flow.mesh;
    strs[s + S_DATAPLANE] = flow.dataplane;
    strs[s + S_DIRECTION] = flow.direction;
    strs[s + S_LISTENER] = flow.listener;
    strs[s + S_CLUSTER] = flow.cluster;
    strs[s + S_CAPTURE] = flow.capture;
    strs[s + S_PROTOCOL] = flow.protocol;
    pos = this.putText(pos, end, t + T_CLIENT_ADDRESS, s + S_CLIENT_ADDRESS, flow.client.address);
    nums[n + N_CLIENT_PORT] = flow.client.port;
    pos = this.putText(pos, end, t + T_DESTINATION_ADDRESS, s + S_DESTINATION_ADDRESS, flow.destination.address);
    nums[n + N_DESTINATION_PORT] = flow.destination.port;
    const upstream = flow.upstream;
    if (upstream !== undefined) {
      f |= F_UPSTREAM;
      strs[s + S_UPSTREAM_ADDRESS] = upstream.address;
      nums[n + N_UPSTREAM_PORT] = upstream.port;
    } else strs[s + S_UPSTREAM_ADDRESS] = undefined;
    nums[n + N_FROM_CLIENT] = flow.bytes.fromClient;
    nums[n + N_TO_CLIENT] = flow.bytes.toClient;
    const http = flow.http;
    if (http !== undefined) {
      f |= F_HTTP;
      pos = this.putText(pos, end, t + T_METHOD, s + S_METHOD, http.method);
      pos = this.putText(pos, end, t + T_AUTHORITY, s + S_AUTHORITY, http.authority);
      pos = this.putText(pos, end, t + T_PATH, s + S_PATH, http.path);
      pos = this.putText(pos, end, t + T_REQUEST_ID, s + S_REQUEST_ID, http.requestId);
      f |= this.putNumber(n + N_STATUS, http.status, F_STATUS);
      nums[n + N_REQUEST_BYTES] = http.requestBytes;
      nums[n + N_RESPONSE_BYTES] = http.responseBytes;
      nums[n + N_ATTEMPTS] = http.attempts;
      if (http.upgraded !== undefined) f |= http.upgraded ? F_UPGRADED_SET | F_UPGRADED : F_UPGRADED_SET;
      if (http.version === 'HTTP/2') f |= F_HTTP2;
      const grpc = http.grpc;
      if (grpc !== undefined) {
        f |= F_GRPC;
        pos = this.putText(pos, end, t + T_GRPC_SERVICE, s + S_GRPC_SERVICE, grpc.service);
        pos = this.putText(pos, end, t + T_GRPC_METHOD, s + S_GRPC_METHOD, grpc.method);
        f |= this.putNumber(n + N_GRPC_STATUS, grpc.status, F_GRPC_STATUS);
        this.putText(pos, end, t + T_GRPC_MESSAGE, s + S_GRPC_MESSAGE, grpc.message);
      } else {
        this.clearTexts(t, s, T_GRPC_SERVICE);
      }
    } else {
      this.clearTexts(t, s, T_METHOD);
    }
    const timings = flow.timings;
    f |= this.putNumber(n + N_CONNECT_MS, timings.connectMs, F_CONNECT_MS);
    f |= this.putNumber(n + N_FIRST_BYTE_MS, timings.firstByteMs, F_FIRST_BYTE_MS);
    nums[n + N_TOTAL_MS] = timings.totalMs;
    strs[s + S_VERDICT] = flow.verdict;
    strs[s + S_REASON] = flow.reason;
    strs[s + S_CLOSE] = flow.close;
    strs[s + S_POLICIES] = flow.policies.length === 0 ? undefined : JSON.stringify(flow.policies);
    const tls = flow.tls;
    if (tls === undefined) strs[s + S_TLS] = undefined;
    else {
      if (tls !== this.lastTls) {
        this.lastTls = tls;
        this.lastTlsJson = JSON.stringify(tls);
      }
      strs[s + S_TLS] = this.lastTlsJson;
    }
    this.flags[slot] = f;
  }

  /** Stores an optional number; returns its presence flag when it is there. */
  private putNumber(at: number, value: number | undefined, flag: number): number {
    if (value === undefined) return 0;
    this.nums[at] = value;
    return flag;
  }

  /**
   * Copies an ASCII string into the slot's text bytes (so the string itself can die young) and
   * returns the next free position; a string that is not ASCII or does not fit is kept by
   * reference in its column instead. `t`: its length entry, `si`: its column entry.
   */
  private putText(pos: number, end: number, t: number, si: number, value: string | undefined): number {
    if (value !== undefined) {
      const n = value.length;
      if (pos + n <= end) {
        const bytes = this.text;
        let i = 0;
        for (; i < n; i++) {
          const c = value.charCodeAt(i);
          if (c > 0x7f) break;
          bytes[pos + i] = c;
        }
        if (i === n) {
          this.textLengths[t] = n;
          this.strs[si] = undefined;
          return pos + n;
        }
      }
    }
    this.textLengths[t] = -1;
    this.strs[si] = value;
    return pos;
  }

  /** Text fields `from` … last of a slot hold nothing (so nothing an evicted flow pointed at outlives its slot). */
  private clearTexts(t: number, s: number, from: number): void {
    for (let k = from; k < TEXTS; k++) {
      this.textLengths[t + k] = -1;
      this.strs[s + TEXT_COLUMN[k]!] = undefined;
    }
  }

  /** Reads text field `k` of the slot being loaded, at `this.readPos`, and moves past it. */
  private getText(t: number, s: number, k: number): string | undefined {
    const n = this.textLengths[t + k]!;
    if (n < 0) return this.strs[s + TEXT_COLUMN[k]!];
    const start = this.readPos;
    this.readPos = start + n;
    return this.text.toString('latin1', start, start + n);
  }

  /** A new FlowRecord equal to the one published into `slot`. */
  private load(slot: number): FlowRecord {
    const nums = this.nums;
    const strs = this.strs;
    const n = slot * NUMS;
    const s = slot * STRS;
    const f = this.flags[slot]!;
    const policies = strs[s + S_POLICIES];
    // Texts in the order publish wrote them.
    const t = slot * TEXTS;
    this.readPos = slot * TEXT_BYTES;
    const id = this.getText(t, s, T_ID)!;
    const connectionId = this.getText(t, s, T_CONNECTION_ID)!;
    const clientAddress = this.getText(t, s, T_CLIENT_ADDRESS)!;
    const destinationAddress = this.getText(t, s, T_DESTINATION_ADDRESS)!;
    const timings: FlowRecord['timings'] = { totalMs: nums[n + N_TOTAL_MS]! };
    if (f & F_CONNECT_MS) timings.connectMs = nums[n + N_CONNECT_MS];
    if (f & F_FIRST_BYTE_MS) timings.firstByteMs = nums[n + N_FIRST_BYTE_MS];
    const flow: FlowRecord = {
      id,
      connectionId,
      start: nums[n + N_START]!,
      mesh: strs[s + S_MESH]!,
      dataplane: strs[s + S_DATAPLANE]!,
      direction: strs[s + S_DIRECTION] as FlowRecord['direction'],
      listener: strs[s + S_LISTENER]!,
      cluster: strs[s + S_CLUSTER]!,
      capture: strs[s + S_CAPTURE] as FlowRecord['capture'],
      protocol: strs[s + S_PROTOCOL] as FlowRecord['protocol'],
      client: { address: clientAddress, port: nums[n + N_CLIENT_PORT]! },
      destination: { address: destinationAddress, port: nums[n + N_DESTINATION_PORT]! },
      upstream: f & F_UPSTREAM ? { address: strs[s + S_UPSTREAM_ADDRESS]!, port: nums[n + N_UPSTREAM_PORT]! } : undefined,
      bytes: { fromClient: nums[n + N_FROM_CLIENT]!, toClient: nums[n + N_TO_CLIENT]! },
      http: f & F_HTTP ? this.loadHttp(n, s, t, f) : undefined,
      timings,
      verdict: strs[s + S_VERDICT] as FlowRecord['verdict'],
      reason: strs[s + S_REASON] as FlowRecord['reason'],
      policies: policies === undefined ? [] : (JSON.parse(policies) as FlowRecord['policies']),
    };
    const close = strs[s + S_CLOSE];
    if (close !== undefined) flow.close = close as FlowRecord['close'];
    const tls = strs[s + S_TLS];
    if (tls !== undefined) flow.tls = JSON.parse(tls) as FlowRecord['tls'];
    return flow;
  }

  private loadHttp(n: number, s: number, t: number, f: number): FlowHttp {
    const nums = this.nums;
    const method = this.getText(t, s, T_METHOD)!;
    const authority = this.getText(t, s, T_AUTHORITY)!;
    const path = this.getText(t, s, T_PATH)!;
    const requestId = this.getText(t, s, T_REQUEST_ID)!;
    const http: FlowHttp = {
      method,
      authority,
      path,
      status: f & F_STATUS ? nums[n + N_STATUS] : undefined,
      requestBytes: nums[n + N_REQUEST_BYTES]!,
      responseBytes: nums[n + N_RESPONSE_BYTES]!,
      requestId,
      attempts: nums[n + N_ATTEMPTS]!,
    };
    if (f & F_UPGRADED_SET) http.upgraded = (f & F_UPGRADED) !== 0;
    if (f & F_HTTP2) http.version = 'HTTP/2';
    if (f & F_GRPC) {
      const grpc: FlowGrpc = { service: this.getText(t, s, T_GRPC_SERVICE)!, method: this.getText(t, s, T_GRPC_METHOD)! };
      if (f & F_GRPC_STATUS) grpc.status = nums[n + N_GRPC_STATUS];
      const message = this.getText(t, s, T_GRPC_MESSAGE);
      if (message !== undefined) grpc.message = message;
      http.grpc = grpc;
    }
    return http;
  }

  get hasSubscribers(): boolean {
    return this.subscribers.length !== 0;
  }

  /** Calls `fn` synchronously with every flow published from now on (the published record itself). Returns the unsubscribe function. */
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
    for (let i = 1; i <= n; i++) out.push(this.load((this.seq - i) % this.capacity));
    return out;
  }

  /** Every flow held, newest first, each built only when the iteration reaches it (a filtered read stops early). */
  *newestFirst(): Generator<FlowRecord, void, undefined> {
    const end = this.seq;
    for (let i = 1; i <= this.size; i++) {
      // Flows published while the reader pauses push the cursor on; the held ones are still there unless overwritten.
      const s = end - i;
      if (s < this.seq - this.size) return;
      yield this.load(s % this.capacity);
    }
  }

  /** Flows published at or after `cursor` (oldest first, at most `limit`), and the cursor to continue from. */
  since(cursor: number, limit = this.capacity): FlowPage {
    const oldest = this.seq - this.size;
    const from = Math.max(cursor, oldest);
    const missed = Math.max(0, oldest - cursor);
    const to = Math.min(this.seq, from + Math.max(0, Math.floor(limit)));
    const flows: FlowRecord[] = [];
    for (let s = from; s < to; s++) flows.push(this.load(s % this.capacity));
    return { flows, cursor: to, missed };
  }

  /** The cursor a new reader starts from to see only flows published from now on. */
  get cursor(): number {
    return this.seq;
  }

  find(id: string): FlowRecord | undefined {
    for (let i = 1; i <= this.size; i++) {
      const slot = (this.seq - i) % this.capacity;
      if (this.idIs(slot, id)) return this.load(slot);
    }
    return undefined;
  }

  private idIs(slot: number, id: string): boolean {
    const n = this.textLengths[slot * TEXTS + T_ID]!;
    if (n < 0) return this.strs[slot * STRS + S_ID] === id;
    if (n !== id.length) return false;
    const bytes = this.text;
    const at = slot * TEXT_BYTES;
    for (let i = 0; i < n; i++) if (bytes[at + i] !== id.charCodeAt(i)) return false;
    return true;
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
