/**
 * Where an HTTP/1.1 exchange stands: one explicit state that its parts (the request writer, the
 * response reader and writer, the upstream attempt) read and move on, instead of flags kept by each.
 * Request and response move independently (a response may come while the request body is still
 * going out, an early 413 say), so there is a phase for each way.
 */

/** The request: its passes running, its upstream connection being opened, its body going out, all of it sent (or read, when answered locally). */
export type RequestPhase = 'passes' | 'connecting' | 'body' | 'sent';
/** The response: its head awaited, its passes running, its body going out, done. */
export type ResponsePhase = 'head' | 'passes' | 'body' | 'done';

export class ExchangeState {
  request: RequestPhase = 'passes';
  response: ResponsePhase = 'head';
  /** Bytes came from the upstream on the current attempt (one that answered is not repeated silently). */
  responseSeen = false;
  /** The one silent retry after a stale pooled connection is spent (or the attempt was on a fresh connection). */
  staleRetried = false;
  /** Reading the upstream is paused by the response bandwidth limit. */
  throttled = false;
  /** Counted in the cluster's requests in flight (max_requests): released at the end. */
  countedRequest = false;
  /** Counted in the cluster's retries in flight (max_retries): released at the end. */
  countedRetry = false;
  /** The client cannot take another request on this connection after this exchange. */
  closeAfter = false;
  /** The proxy answered (policy, error): the upstream's response head, if one came, is not what the client got. */
  answeredLocally = false;
  ended = false;

  /** Nothing of the response reached the client yet: a failure can still be answered (after, only a reset). */
  get answerable(): boolean {
    return this.response === 'head' || this.response === 'passes';
  }

  /** Both ways complete and nothing asked for a close: the connections may carry another request (if their heads agree). */
  get complete(): boolean {
    return this.response === 'done' && this.request === 'sent' && !this.closeAfter;
  }
}
