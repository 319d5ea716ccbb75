import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AccessLogSinks, MAX_PENDING_BYTES } from './sink.ts';

// The sink's promise: writing never blocks the data path, at most MAX_PENDING_BYTES wait per sink,
// and what does not fit is dropped, counted and announced — never lost silently.

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshcap-sink-'));
  dirs.push(dir);
  return dir;
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('access log sinks', () => {
  it('buffers at most MAX_PENDING_BYTES for a reader that is not reading, counts the rest, and says so in the log', async () => {
    // A FIFO nobody reads yet: the stream cannot even open, so every line waits in its buffer.
    const fifo = join(scratch(), 'access.fifo');
    execFileSync('mkfifo', [fifo]);
    const sink = new AccessLogSinks(() => {}).get(fifo);
    const line = `${'x'.repeat(1023)}\n`;
    const total = Math.ceil((MAX_PENDING_BYTES * 1.5) / line.length);
    for (let i = 0; i < total; i++) sink.write(line);
    const held = sink.stats();
    expect(held.written * line.length).toBeGreaterThan(MAX_PENDING_BYTES);
    expect(held.written * line.length).toBeLessThanOrEqual(MAX_PENDING_BYTES + line.length);
    expect(held.dropped).toBe(total - held.written);
    expect(held.dropped).toBeGreaterThan(0);

    // The reader arrives: the buffer drains, and the next line is preceded by the count of the lost ones.
    let received = '';
    const reader = createReadStream(fifo, { encoding: 'utf8' }).on('data', (d: string | Buffer) => (received += String(d)));
    try {
      await until('the buffered lines', () => received.length === held.written * line.length);
      sink.write('last\n');
      await until('the last line', () => received.endsWith('last\n'));
      expect(received.slice(held.written * line.length)).toBe(`[meshcap] ${held.dropped} access log lines dropped (the writer was behind or failing)\nlast\n`);
      expect(sink.stats()).toMatchObject({ written: held.written + 1, dropped: held.dropped, errors: 0 });
    } finally {
      reader.destroy();
    }
  });

  it('reports a file it cannot open once, and drops (and counts) the lines meanwhile', async () => {
    const path = join(scratch(), 'no-such-dir', 'access.log');
    const warnings: string[] = [];
    const sink = new AccessLogSinks((m) => warnings.push(m)).get(path);
    sink.write('first\n');
    await until('the open error', () => sink.stats().errors === 1);
    for (let i = 0; i < 3; i++) sink.write(`line ${i}\n`);
    expect(sink.stats()).toMatchObject({ path, dropped: 3, errors: 1 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^access log ${path}: ENOENT; lines are dropped \\(and counted\\)`));
  });
});
