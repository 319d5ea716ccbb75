// The replicas part of `npm run bench`: how long a change applied on one control plane replica
// takes to reach another replica sharing its PostgreSQL store (LISTEN/NOTIFY), p50/p99 of 100
// applies — to B's API (the resource readable there) and to a dataplane subscribed to B's ADS
// server (the new version applied).
//
// Two real `meshcap cp --store postgres://…` child processes on a fresh database of Debian's
// PostgreSQL (started as the store tests start it); the dataplane is the dataplane's own ADS client.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdsClient, loadProtoJsonCodec } from '@meshcap/core';
import { testPostgres } from '../apps/api/src/store/test-postgres.ts';
import { say } from './xds.ts';

const meshcapBin = fileURLToPath(new URL('../apps/api/bin/meshcap.js', import.meta.url));
const TOKEN = 'bench-admin-token-0123456789abcdef';
const APPLIES = Number(process.env.BENCH_REPLICA_APPLIES ?? 100);

interface Replica {
  child: ChildProcess;
  api: string;
  xds: string;
}

/** Starts `meshcap cp` on ports of its choosing; its banner says which. */
async function startReplica(storeUrl: string, dir: string): Promise<Replica> {
  const child = spawn(process.execPath, [meshcapBin, 'cp', '--store', storeUrl, '--data-dir', dir, '--listen', '127.0.0.1:0', '--socket', 'none', '--no-gui'], {
    env: { ...process.env, MESHCAP_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const banner = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('meshcap cp: ready')) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`meshcap cp exited (${code}): ${out}`)));
  });
  const api = /API\s+(http:\/\/\S+)/.exec(banner)?.[1];
  const xds = /xDS \(ADS\)\s+(\S+?)(,|\s|$)/m.exec(banner)?.[1];
  if (!api || !xds) throw new Error(`cannot read the addresses in meshcap cp's banner:\n${banner}`);
  return { child, api, xds };
}

/** A MeshTimeout over the whole mesh: every value of `seconds` is a new config for every dataplane. */
function timeout(seconds: number): string {
  return `type: MeshTimeout\nmesh: default\nname: bench-timeout\nspec:\n  targetRef: { kind: Mesh }\n  from:\n    - targetRef: { kind: Mesh }\n      default: { idleTimeout: ${seconds}s }\n`;
}

const DATAPLANE = `type: Dataplane
mesh: default
name: dp-0
networking:
  address: 198.18.10.1
  inbound:
    - port: 8080
      tags: { kuma.io/service: svc, kuma.io/protocol: http }
`;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function benchReplicas(): Promise<string> {
  const pg = await testPostgres();
  if (!pg.ok) return `Replicas: not measured (${pg.reason}).\n`;
  const dirs = [mkdtempSync(join(tmpdir(), 'meshcap-bench-replica-a-')), mkdtempSync(join(tmpdir(), 'meshcap-bench-replica-b-'))];
  const replicas: Replica[] = [];
  let ads: AdsClient | undefined;
  try {
    replicas.push(...(await Promise.all(dirs.map((d) => startReplica(pg.url, d)))));
    const [a, b] = replicas as [Replica, Replica];
    const headers = { authorization: `Bearer ${TOKEN}` };
    const post = async (api: string, path: string, body: string, type: string): Promise<Response> => {
      const res = await fetch(`${api}${path}`, { method: 'POST', headers: { ...headers, 'content-type': type }, body });
      if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
      return res;
    };
    await post(a.api, '/api/resources', `${DATAPLANE}---\n${timeout(1)}`, 'application/yaml');
    const { token } = (await (await post(a.api, '/api/tokens/dataplane', JSON.stringify({ name: 'dp-0' }), 'application/json')).json()) as { token: string };
    let version = '';
    ads = new AdsClient({ target: b.xds, node: { id: 'default.dp-0' }, token, codec: await loadProtoJsonCodec(), apply: async (v) => void (version = v) });
    const until = async (check: () => boolean | Promise<boolean>, what: string): Promise<void> => {
      const deadline = performance.now() + 10_000;
      while (!(await check())) {
        if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 1));
      }
    };
    await until(() => version !== '', 'the dataplane’s first config from B');
    const readOnB = async (): Promise<number> => {
      const res = await fetch(`${b.api}/api/meshes/default/resources/MeshTimeout/bench-timeout`);
      return res.ok ? ((await res.json()) as { version: number }).version : 0;
    };
    say(`replicas: ${APPLIES} applies on A…`);
    const applyOnA: number[] = [];
    const toApi: number[] = [];
    const toDataplane: number[] = [];
    for (let i = 0; i < APPLIES; i++) {
      const before = version;
      const t0 = performance.now();
      const [change] = ((await (await post(a.api, '/api/resources', timeout(2 + (i % 97)), 'application/yaml')).json()) as { changes: Array<{ version: number }> }).changes;
      applyOnA.push(performance.now() - t0);
      // The dataplane on B is watched while B's API is polled.
      const onDataplane = until(() => version !== before, 'the new version on B’s dataplane').then(() => performance.now() - t0);
      await until(async () => (await readOnB()) >= change!.version, 'the change readable on B');
      toApi.push(performance.now() - t0);
      toDataplane.push(await onDataplane);
    }
    applyOnA.sort((x, y) => x - y);
    toApi.sort((x, y) => x - y);
    toDataplane.sort((x, y) => x - y);
    const row = (what: string, t: number[]) => `| ${what} | ${percentile(t, 50).toFixed(1)} | ${percentile(t, 99).toFixed(1)} |`;
    say(`replicas: to B's API p50 ${percentile(toApi, 50).toFixed(1)} ms, to B's dataplane p50 ${percentile(toDataplane, 50).toFixed(1)} ms`);
    return [
      `| change propagation across replicas (${APPLIES} applies on A, ms) | p50 | p99 |`,
      '|---|---:|---:|',
      row('the apply request on A (its answer)', applyOnA),
      row('apply on A → readable on B (API)', toApi),
      row('apply on A → applied by a dataplane on B (ADS)', toDataplane),
      '',
      'Two `meshcap cp` processes on one PostgreSQL database (LISTEN/NOTIFY); times from the start of the apply request on A, so they include the apply itself.',
      '',
    ].join('\n');
  } finally {
    ads?.close();
    for (const r of replicas) r.child.kill('SIGTERM');
    await Promise.all(replicas.map((r) => new Promise((resolve) => (r.child.exitCode !== null ? resolve(null) : r.child.once('exit', resolve)))));
    await pg.drop().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
