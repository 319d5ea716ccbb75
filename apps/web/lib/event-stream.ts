/**
 * Server-Sent Events over fetch: the same wire format EventSource reads, but with a reconnect loop
 * we control (Last-Event-ID resume, backoff) and an AbortSignal to stop it.
 */

export interface StreamEvent {
  id?: string;
  event: string;
  data: string;
}

export interface EventStreamOptions {
  signal: AbortSignal;
  onEvent: (e: StreamEvent) => void;
  onOpen?: () => void;
  /** Called when the connection fails or ends; the loop retries after `retryMs`. */
  onDrop?: (err: unknown) => void;
  retryMs?: number;
}

/** Parses an event-stream body, calling `onEvent` per complete event; returns the last event id seen. */
export async function readEventStream(body: ReadableStream<Uint8Array>, onEvent: (e: StreamEvent) => void, lastId?: string): Promise<{ lastId?: string; retry?: number }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let id = lastId;
  let retry: number | undefined;
  const line = (l: string) => {
    if (l === '') {
      if (data.length) onEvent({ id, event: event || 'message', data: data.join('\n') });
      data = [];
      event = '';
      return;
    }
    if (l.startsWith(':')) return; // comment / keep-alive
    const colon = l.indexOf(':');
    const field = colon === -1 ? l : l.slice(0, colon);
    const value = colon === -1 ? '' : l.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\0')) id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let nl: number;
    while ((nl = buffer.search(/\r\n|\r|\n/)) !== -1) {
      // A lone CR at the end may be the first half of a CRLF split across chunks.
      if (nl === buffer.length - 1 && buffer[nl] === '\r') break;
      line(buffer.slice(0, nl));
      buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
    }
  }
  return { lastId: id, retry };
}

/** Connects to `url` and keeps reconnecting (resuming after the last event id) until `signal` aborts. */
export async function followEventStream(url: string, opts: EventStreamOptions): Promise<void> {
  let lastId: string | undefined;
  let retryMs = opts.retryMs ?? 2_000;
  while (!opts.signal.aborted) {
    try {
      const res = await fetch(url, {
        headers: { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
        signal: opts.signal,
        cache: 'no-store',
      });
      if (!res.ok || !res.body) throw new Error(`the flow stream answered ${res.status}`);
      opts.onOpen?.();
      const end = await readEventStream(res.body, opts.onEvent, lastId);
      lastId = end.lastId;
      if (end.retry !== undefined) retryMs = end.retry;
      opts.onDrop?.(new Error('the flow stream ended'));
    } catch (err) {
      if (opts.signal.aborted) return;
      opts.onDrop?.(err);
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, retryMs);
      opts.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });
  }
}
