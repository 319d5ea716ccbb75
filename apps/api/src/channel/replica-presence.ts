import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { DataplaneSession, Store } from '../store/index.ts';
import type { DataplaneStatuses } from './dataplane-status.ts';

/**
 * Which control plane replica holds each dataplane, so that the API of any replica answers for
 * every dataplane.
 *
 * Design: shared state, not asking the holding replica. Each replica writes the dataplanes
 * connected to it (with the version each ACKed) to the store it already shares with the others,
 * once a second, and reads everyone's rows back; a row not confirmed for `staleMs` belongs to a
 * replica that died and is ignored (a dataplane that moves is taken over by its new replica's next
 * write). Why: listing and watching dataplanes — what the dashboard does most — then needs no
 * replica-to-replica traffic, no replica addresses reachable from each other and no second way for
 * a dead replica to fail a request; the store is already what replicas must both reach.
 *
 * What is not shared stays with the holding replica: a dataplane's flows and what is read from it
 * over the channel (stats, clusters, rules, listeners, config_dump). For those, a replica that does
 * not hold the dataplane asks the one that does (replica-forward.ts): the request goes to the
 * holder's `url` from these rows with the caller's Authorization, over TLS verified with the
 * control plane CA in the store, bounded in time, and the holder's status and body are the answer;
 * a holder that does not answer is a 503 MESHCAP_ERR_REPLICA_UNREACHABLE naming it. A forwarded
 * request carries a header and is never forwarded again (no loops while two views disagree). Why
 * ask rather than share: flows are many and short-lived and the channel is a live connection —
 * writing them to the store would put the hot path on PostgreSQL. The list of all flows (no
 * `dataplane=` filter) is merged: each live replica named in these rows is asked for its list
 * (2 s each, in parallel; one that does not answer is left out), and the lists are merged newest
 * first; the stream of all flows follows every live replica's own stream (replica-flow-relay.ts); a
 * flow by id, which names no replica, is asked of all of them at once (`firstHit`). Every replica
 * also writes a row of its own each second, holding a dataplane or not: one whose dataplanes moved
 * away still has their flows, so it is asked too.
 */
export class ReplicaPresence {
  /** This replica: random per process, with the host name to read it by. */
  readonly id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  /** Where this replica's API answers (set once it listens). */
  url = '';
  private sessions = new Map<string, DataplaneSession>();
  private live: Array<{ id: string; url: string }> = [];
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private readonly staleMs: number;

  constructor(
    private readonly store: Store,
    private readonly statuses: DataplaneStatuses,
    private readonly opts: { intervalMs?: number; staleMs?: number; log?: (message: string) => void } = {},
  ) {
    this.staleMs = opts.staleMs ?? 3_000;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sync(), this.opts.intervalMs ?? 1_000);
    this.timer.unref();
    void this.sync();
  }

  /** Writes what this replica holds and reads every replica's rows (one at a time). */
  sync(): Promise<void> {
    this.syncing ??= this.syncOnce().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    const held = [...this.statuses.entries()]
      .filter(([, s]) => s.connected || s.xdsStreams > 0)
      .map(([key, s]) => {
        const [mesh = '', name = ''] = key.split('/');
        return { mesh, name, connectedAt: s.connectedAt, configVersion: s.configVersion };
      });
    try {
      await this.store.syncDataplaneSessions({ id: this.id, url: this.url }, held);
      const fresh = Date.now() - this.staleMs;
      this.sessions = new Map((await this.store.listDataplaneSessions()).filter((s) => Date.parse(s.seenAt) >= fresh).map((s) => [`${s.mesh}/${s.name}`, s]));
      this.live = (await this.store.listControlPlaneReplicas()).filter((r) => Date.parse(r.seenAt) >= fresh).map(({ id, url }) => ({ id, url }));
    } catch (err) {
      // The store is away: keep the last view (the next tick tries again).
      this.opts.log?.(`dataplane sessions not synced: ${(err as Error).message}`);
    }
  }

  /** The replica that holds `mesh/name`, if one confirmed it lately (this one included). */
  holder(mesh: string, name: string): DataplaneSession | undefined {
    return this.sessions.get(`${mesh}/${name}`);
  }

  /** The live rows for dataplane `name` (in `mesh`, or in any mesh when it is not given). */
  holders(name: string, mesh?: string): DataplaneSession[] {
    if (mesh !== undefined) {
      const one = this.holder(mesh, name);
      return one ? [one] : [];
    }
    return [...this.sessions.values()].filter((s) => s.name === name);
  }

  /** The replicas that confirmed lately that they are alive (holding a dataplane or not), this one included. */
  replicas(): Array<{ id: string; url: string }> {
    return this.live;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.syncing;
    // Let the others see at once that this replica holds nothing any more, and is gone.
    await this.store.leaveControlPlaneReplicas(this.id).catch(() => undefined);
  }
}
