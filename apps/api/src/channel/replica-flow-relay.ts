import type { IncomingMessage } from 'node:http';
import type { ReplicaForwarder } from './replica-forward.ts';

/** How often the replicas to follow are looked at again (one that comes up, one whose stream broke). */
const FOLLOW_EVERY_MS = 3_000;
/** Opening a replica's stream: its headers come at once (it answers from memory). */
const OPEN_TIMEOUT_MS = 2_000;

/** One Server-Sent Event as the flow stream writes them (`id:`, `event:`, one `data:` line). */
interface StreamEvent {
  id?: number;
  event: string;
  data: string;
}

/** Splits a text/event-stream into events as chunks arrive (comments and `retry:` are skipped). */
function eventReader(onEvent: (e: StreamEvent) => void): (chunk: Buffer) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk.toString('utf8');
    let end: number;
    while ((end = pending.indexOf('\n\n')) !== -1) {
      const block = pending.slice(0, end);
      pending = pending.slice(end + 2);
      const e: StreamEvent = { event: 'message', data: '' };
      for (const line of block.split('\n')) {
        if (line.startsWith('data: ')) e.data += line.slice(6);
        else if (line.startsWith('event: ')) e.event = line.slice(7);
        else if (line.startsWith('id: ')) e.id = Number(line.slice(4));
      }
      if (e.data !== '') onEvent(e);
    }
  };
}

/**
 * The live flows the other replicas receive, for a flow stream not about one dataplane (the
 * dashboard's: its flows page and a dataplane's flows tab read it): each live replica's own stream
 * is followed (the request marked forwarded, so it answers from its memory alone and relays
 * nothing), and every flow event is handed to `onFlow` as the JSON text it came as. A replica that
 * appears is followed within FOLLOW_EVERY_MS; one whose stream breaks is followed again from the
 * last event it sent (its own Last-Event-ID), so a short break loses nothing it still holds.
 * The past is not replayed here: the caller's `GET /api/flows` is merged from every replica.
 * Returns the function that stops following.
 */
export function relayReplicaFlows(forwarder: ReplicaForwarder, query: URLSearchParams, authorization: string | undefined, onFlow: (json: string) => void): () => void {
  const open = new Map<string, { close: () => void }>();
  const lastIds = new Map<string, number>();
  let stopped = false;

  const follow = (replica: { id: string; url: string }) => {
    if (stopped || open.has(replica.id)) return;
    let body: IncomingMessage | undefined;
    let closed = false;
    open.set(replica.id, {
      close: () => {
        closed = true;
        body?.destroy();
      },
    });
    const q = new URLSearchParams(query);
    const last = lastIds.get(replica.id);
    if (last !== undefined) q.set('lastEventId', String(last));
    const done = () => open.delete(replica.id);
    forwarder.send(replica, { method: 'GET', path: `/api/flows/stream?${q}`, authorization }, { timeoutMs: OPEN_TIMEOUT_MS }).then(
      (res) => {
        body = res.body;
        if (closed || res.status !== 200) {
          res.body.destroy();
          return done();
        }
        res.body.on(
          'data',
          eventReader((e) => {
            if (e.id !== undefined && Number.isInteger(e.id)) lastIds.set(replica.id, e.id);
            if (e.event === 'flow') onFlow(e.data);
          }),
        );
        res.body.on('close', done);
        res.body.on('error', done);
      },
      // Not reachable now: the next look tries again while it is listed as live.
      done,
    );
  };

  const look = () => {
    for (const replica of forwarder.otherReplicas()) follow(replica);
  };
  look();
  const timer = setInterval(look, FOLLOW_EVERY_MS);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
    for (const o of open.values()) o.close();
    open.clear();
  };
}
