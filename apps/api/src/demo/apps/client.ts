/**
 * The demo's client: steady, bounded-rate HTTP traffic. It sends `GET` requests to the `--target`
 * URLs in turn at `--rate` requests per second (at most 50), never more than `--max-in-flight` at
 * once (a tick that finds them all busy is counted as skipped, not queued), and every
 * `--direct-every`-th request goes to `--direct` instead (the backend called directly, which the
 * demo's MeshTrafficPermission denies). Each request opens its own connection (as separate users
 * would), so capture rule counters move with the traffic; `--keep-alive` reuses connections.
 * Every `--report-ms` it prints one JSON line of counts, and `GET /` on `--port` (default 3000)
 * answers with them: the client is a mesh service too, which gives it an identity policies can name.
 *
 * Exits 0 on SIGTERM/SIGINT after printing the final counts.
 */
import { Agent, createServer, request } from 'node:http';
import { parseArgs } from 'node:util';
import { reply } from './reply.ts';

const { values } = parseArgs({
  options: {
    target: { type: 'string', multiple: true, default: [] },
    direct: { type: 'string' },
    'direct-every': { type: 'string', default: '0' },
    rate: { type: 'string', default: '4' },
    'max-in-flight': { type: 'string', default: '8' },
    'timeout-ms': { type: 'string', default: '15000' },
    'report-ms': { type: 'string', default: '10000' },
    'keep-alive': { type: 'boolean', default: false },
    port: { type: 'string', default: '3000' },
    host: { type: 'string', default: '::' },
  },
});

const targets = values.target.map((t) => new URL(t));
if (targets.length === 0) {
  process.stderr.write('client: at least one --target URL is required\n');
  process.exit(2);
}
const direct = values.direct ? new URL(values.direct) : undefined;
const directEvery = Math.max(0, Math.floor(Number(values['direct-every']) || 0));
const rate = Math.min(50, Math.max(0.1, Number(values.rate) || 4));
const maxInFlight = Math.min(64, Math.max(1, Math.floor(Number(values['max-in-flight']) || 8)));
const timeoutMs = Math.max(100, Number(values['timeout-ms']) || 15_000);
const reportMs = Math.max(500, Number(values['report-ms']) || 10_000);
const agent = new Agent({ keepAlive: values['keep-alive'], maxSockets: maxInFlight });

const counts = { sent: 0, skipped: 0, errors: 0, byStatus: {} as Record<string, number>, byError: {} as Record<string, number> };
let inFlight = 0;
let seq = 0;

function send(url: URL): void {
  inFlight++;
  counts.sent++;
  const done = (key: string | undefined, status?: number): void => {
    inFlight--;
    if (status !== undefined) counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1;
    if (key !== undefined) {
      counts.errors++;
      counts.byError[key] = (counts.byError[key] ?? 0) + 1;
    }
  };
  let finished = false;
  const req = request(url, { agent, method: 'GET' }, (res) => {
    res.resume();
    res.on('end', () => {
      if (finished) return;
      finished = true;
      done(undefined, res.statusCode);
    });
  });
  req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
  req.on('error', (err) => {
    if (finished) return;
    finished = true;
    done((err as { code?: string }).code ?? 'error');
  });
  req.end();
}

const tick = setInterval(() => {
  if (inFlight >= maxInFlight) {
    counts.skipped++;
    return;
  }
  seq++;
  const url = direct && directEvery > 0 && seq % directEvery === 0 ? direct : targets[seq % targets.length]!;
  send(url);
}, 1000 / rate);

function report(final = false): void {
  process.stdout.write(`${JSON.stringify({ event: final ? 'final' : 'stats', inFlight, ...counts })}\n`);
}
const reporter = setInterval(report, reportMs);

const server = createServer((req, res) => {
  req.resume();
  reply(res, 200, { inFlight, ...counts });
});
server.listen({ port: Number(values.port), host: values.host }, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : Number(values.port);
  process.stdout.write(`${JSON.stringify({ event: 'started', port, rate, targets: targets.map((t) => t.href), direct: direct?.href })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    clearInterval(tick);
    clearInterval(reporter);
    server.close();
    report(true);
    agent.destroy();
    process.exit(0);
  });
}
