// The xDS part of `npm run bench`: how long a policy change takes to reach 1, 100 and 1000
// dataplanes (from the apply request to the last dataplane having applied and ACKed the new
// version), and what 1000 subscribed dataplanes cost the control plane (CPU, RSS).
//
// The control plane is a real `meshcap cp` child process (its CPU and RSS read from /proc); the
// dataplanes are simulated by the dataplane's own ADS client (AdsClient, the one `meshcap dp`
// uses), all in this process, each with its own token and its own gRPC stream to 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdsClient, loadProtoJsonCodec } from '@meshcap/core';
import { freePort } from '@meshcap/testkit';

const meshcapBin = fileURLToPath(new URL('../apps/api/bin/meshcap.js', import.meta.url));
const SIZES = (process.env.BENCH_XDS_SIZES ?? '1,100,1000').split(',').map(Number);
const TOKEN = 'bench-admin-token-0123456789abcdef';
const TICKS = 100; // USER_HZ on Linux

export function say(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

/** CPU seconds (user + system) and RSS (MiB) of a process, from /proc. */
function usage(pid: number): { cpuSeconds: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds, rssMiB: rss ? Number(rss[1]) / 1024 : NaN };
}

function dataplanes(n: number): string {
  return Array.from({ length: n }, (_, i) => {
    const a = Math.floor(i / 250);
    const b = (i % 250) + 1;
    return `type: Dataplane
mesh: default
name: dp-${i}
networking:
  address: 198.18.${10 + a}.${b}
  inbound:
    - port: 8080
      tags: { kuma.io/service: svc-${i % 20}, kuma.io/protocol: http }
  outbound:
    - port: 8080
      address: 240.0.0.${(i % 20) + 1}
      tags: { kuma.io/service: svc-${(i + 1) % 20} }
`;
  }).join('---\n');
}

function fault(percentage: number): string {
  return `type: MeshFaultInjection
mesh: default
name: bench-fault
spec:
  targetRef: { kind: Mesh }
  from:
    - targetRef: { kind: Mesh }
      default:
        http:
          - abort: { httpStatus: 503, percentage: ${percentage} }
`;
}

async function until(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface XdsBenchResult {
  /** Push time per number of subscribed dataplanes, milliseconds (median of 3). */
  pushMs: Map<number, number>;
  idleCpuPercent: number;
  pushCpuSeconds: number;
  rssMiB: number;
  rssBaseMiB: number;
  clients: number;
}

export async function benchXds(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'meshcap-bench-xds-'));
  const apiPort = await freePort();
  const xdsPort = await freePort();
  const api = `http://127.0.0.1:${apiPort}`;
  let cp: ChildProcess | undefined;
  const clients: AdsClient[] = [];
  try {
    cp = spawn(process.execPath, [meshcapBin, 'cp', '--data-dir', dir, '--listen', `127.0.0.1:${apiPort}`, '--xds-listen', `127.0.0.1:${xdsPort}`, '--socket', 'none', '--no-gui'], {
      env: { ...process.env, MESHCAP_TOKEN: TOKEN },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      cp!.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('meshcap cp: ready')) resolve();
      });
      cp!.once('exit', (code) => reject(new Error(`meshcap cp exited (${code}): ${out}`)));
    });
    const pid = cp.pid!;
    const headers = { authorization: `Bearer ${TOKEN}` };
    const post = async (path: string, body: string, type: string): Promise<Response> => {
      const res = await fetch(`${api}${path}`, { method: 'POST', headers: { ...headers, 'content-type': type }, body });
      if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
      return res;
    };
    const max = Math.max(...SIZES);
    const rssBaseMiB = usage(pid).rssMiB;
    say(`xDS: ${max} dataplanes, tokens…`);
    await post('/api/resources', dataplanes(max), 'application/yaml');
    const tokens: string[] = [];
    for (let i = 0; i < max; i++) tokens.push(((await (await post('/api/tokens/dataplane', JSON.stringify({ name: `dp-${i}` }), 'application/json')).json()) as { token: string }).token);
    const codec = await loadProtoJsonCodec();
    const versions: string[] = new Array<string>(max).fill('');
    const subscribe = (i: number): void => {
      clients.push(
        new AdsClient({
          target: `127.0.0.1:${xdsPort}`,
          node: { id: `default.dp-${i}` },
          token: tokens[i],
          codec,
          apply: async (version) => {
            versions[i] = version;
          },
        }),
      );
    };
    const pushMs = new Map<number, number>();
    let percentage = 1;
    let pushCpuSeconds = 0;
    for (const n of SIZES) {
      while (clients.length < n) subscribe(clients.length);
      await until(() => versions.slice(0, n).every((v) => v !== ''), `${n} dataplanes' first config`, 120_000);
      const times: number[] = [];
      for (let run = 0; run < 3; run++) {
        const before = versions.slice(0, n);
        const cpu0 = usage(pid).cpuSeconds;
        const t0 = performance.now();
        await post('/api/resources', fault(percentage++), 'application/yaml');
        await until(() => versions.slice(0, n).every((v, i) => v !== before[i]), `the push to ${n}`, 120_000);
        times.push(performance.now() - t0);
        if (n === max) pushCpuSeconds = Math.max(pushCpuSeconds, usage(pid).cpuSeconds - cpu0);
      }
      times.sort((a, b) => a - b);
      pushMs.set(n, times[1]!);
      say(`xDS: push to ${n}: ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
    }
    // Idle cost of the subscribed streams: 10 s with nothing changing.
    const idle0 = usage(pid).cpuSeconds;
    await new Promise((r) => setTimeout(r, 10_000));
    const idleCpuPercent = ((usage(pid).cpuSeconds - idle0) / 10) * 100;
    const rssMiB = usage(pid).rssMiB;
    const rows = [
      '| xDS (ADS, state of the world) | value |',
      '|---|---:|',
      ...SIZES.map((n) => `| config push to ${n} subscribed dataplane${n === 1 ? '' : 's'} of ${max} in the mesh (apply → last applied+ACKed, ms, median of 3) | ${pushMs.get(n)!.toFixed(0)} |`),
      `| meshcap cp CPU during one push to ${max} (s) | ${pushCpuSeconds.toFixed(2)} |`,
      `| meshcap cp CPU idle with ${max} streams (% of one core) | ${idleCpuPercent.toFixed(1)} |`,
      `| meshcap cp RSS with ${max} streams (MiB; ${rssBaseMiB.toFixed(0)} at start) | ${rssMiB.toFixed(0)} |`,
      `| push time per dataplane at ${max} (ms) | ${(pushMs.get(max)! / max).toFixed(2)} |`,
    ];
    return `${rows.join('\n')}\n\nSimulated dataplanes: meshcap's own ADS client, ${max} gRPC streams from this process to a \`meshcap cp\` child on 127.0.0.1.\n`;
  } finally {
    for (const c of clients) c.close();
    cp?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    rmSync(dir, { recursive: true, force: true });
  }
}
