import type { StatValue } from '../../proxy/stats.ts';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';

/**
 * Where access log lines go: a file opened for appending, or the process's stdout/stderr for
 * `/dev/stdout` and `/dev/stderr` (so a dataplane logs to its own output as Envoy does). Writes
 * never block the data path: each sink buffers at most `MAX_PENDING_BYTES`; beyond that, lines are
 * dropped and counted, and the next line that fits is preceded by a line saying how many were
 * lost. A file that cannot be opened or written is reported once through `log` and retried
 * after `REOPEN_AFTER_MS`; its lines are dropped (and counted) meanwhile.
 */

export const MAX_PENDING_BYTES = 1024 * 1024;
export const REOPEN_AFTER_MS = 5_000;

export interface AccessLogSink {
  readonly path: string;
  write(line: string): void;
  stats(): AccessLogSinkStats;
}

export interface AccessLogSinkStats {
  path: string;
  written: number;
  dropped: number;
  errors: number;
}

export type AccessLogWarn = (message: string) => void;

class StreamSink implements AccessLogSink {
  private stream: Writable | undefined;
  private failedAt = 0;
  private written = 0;
  private dropped = 0;
  /** Dropped since the last line that got through (reported in the log itself). */
  private unreported = 0;
  private errors = 0;

  constructor(
    readonly path: string,
    private readonly warn: AccessLogWarn,
  ) {}

  private open(): Writable | undefined {
    if (this.stream) return this.stream;
    if (this.failedAt !== 0 && Date.now() - this.failedAt < REOPEN_AFTER_MS) return undefined;
    if (this.path === '/dev/stdout') return (this.stream = process.stdout);
    if (this.path === '/dev/stderr') return (this.stream = process.stderr);
    const stream: WriteStream = createWriteStream(this.path, { flags: 'a' });
    stream.on('error', (err: NodeJS.ErrnoException) => {
      this.errors++;
      if (this.stream === stream) this.stream = undefined;
      this.failedAt = Date.now();
      this.warn(`access log ${this.path}: ${err.code ?? err.message}; lines are dropped (and counted) until it can be written (retried every ${REOPEN_AFTER_MS / 1000}s)`);
      stream.destroy();
    });
    return (this.stream = stream);
  }

  write(line: string): void {
    const stream = this.open();
    if (!stream || stream.writableLength > MAX_PENDING_BYTES) {
      this.dropped++;
      this.unreported++;
      return;
    }
    if (this.unreported > 0) {
      stream.write(`[meshcap] ${this.unreported} access log lines dropped (the writer was behind or failing)\n`);
      this.unreported = 0;
    }
    stream.write(line);
    this.written++;
  }

  stats(): AccessLogSinkStats {
    return { path: this.path, written: this.written, dropped: this.dropped, errors: this.errors };
  }
}

/**
 * The sinks of one process, by path, shared by every listener and kept across config versions so
 * a file is opened once.
 */
export class AccessLogSinks {
  private readonly sinks = new Map<string, AccessLogSink>();

  constructor(private readonly warn: AccessLogWarn = (m) => process.stderr.write(`meshcap: ${m}\n`)) {}

  get(path: string): AccessLogSink {
    let sink = this.sinks.get(path);
    if (!sink) {
      sink = new StreamSink(path, this.warn);
      this.sinks.set(path, sink);
    }
    return sink;
  }

  stats(): AccessLogSinkStats[] {
    return [...this.sinks.values()].map((s) => s.stats());
  }

  /** The sinks' counters for `/stats`: `/var/log/a.log` → `access_log.var_log_a_log.*` (one name segment, safe for Prometheus too). */
  statValues(): StatValue[] {
    return this.stats().flatMap((s) => {
      const scope = `access_log.${s.path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '')}`;
      return [
        { name: `${scope}.lines_written`, value: s.written, gauge: false },
        { name: `${scope}.lines_dropped`, value: s.dropped, gauge: false },
        { name: `${scope}.errors`, value: s.errors, gauge: false },
      ];
    });
  }
}

/** The sinks used when none are given: one set per process. */
export const processAccessLogSinks = new AccessLogSinks();
