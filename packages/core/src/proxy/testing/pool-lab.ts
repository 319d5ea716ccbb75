// A loopback mesh for the cluster-health tests: `web` (a real meshcap dp, configured over the
// xDS resources the control plane would send) calls the service `pool`, served by three apps on
// 127.0.0.11–13 that each Dataplane resource names as an endpoint.
import http from 'node:http';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { freePort } from '@meshcap/testkit';
import { parseResources } from '../../model/index.ts';
import { PolicyCompiler } from '../../policy/index.ts';
import { xdsResourcesOf } from '../../xds/provider.ts';
import { startDataplane, type DataplaneHandle } from '../engine.ts';

export const WEB = '127.0.0.2';
export const POOL_ADDRESSES = ['127.0.0.11', '127.0.0.12', '127.0.0.13'] as const;

/** How a pool app answers (HTTP): `/health` says 503 when `unhealthy`; other paths 500 when `failing`; `/slow` waits 300 ms; `/drip` sends a byte every 50 ms for 1 s. TCP: its address. */
export interface PoolApp {
  readonly address: string;
  readonly port: number;
  unhealthy: boolean;
  failing: boolean;
  /** Requests seen, health checks excluded. */
  hits: number;
  healthChecks: number;
  /** Stops listening and drops its connections: a killed backend. */
  kill(): Promise<void>;
}

/** Connections open at once to the pool's apps, and the most seen (what max_connections bounds). */
export const poolConnections = { open: 0, max: 0 };

function startApp(address: string, protocol: 'http' | 'http2' | 'tcp'): Promise<PoolApp> {
  const app = { address, port: 0, unhealthy: false, failing: false, hits: 0, healthChecks: 0 } as PoolApp;
  const serve = (protocol === 'http2' ? http2.createServer : http.createServer) as (handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) => net.Server;
  const server: net.Server =
    protocol !== 'tcp'
      ? serve((req, res) => {
          if (req.url === '/health') {
            app.healthChecks++;
            return void res.writeHead(app.unhealthy ? 503 : 200).end();
          }
          app.hits++;
          if (req.url === '/slow') return void setTimeout(() => res.end(address), 300);
          // What arrived (a route's rewrites and header edits): the path and headers, as JSON.
          if (req.url?.startsWith('/echo')) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ address, url: req.url, headers: req.headers }));
          if (req.url === '/drip') {
            // A chunk every 50 ms for a second: never idle, but long.
            let n = 0;
            const t = setInterval(() => (++n === 20 ? (clearInterval(t), res.end('.')) : res.write('.')), 50);
            res.on('close', () => clearInterval(t));
            return;
          }
          res.writeHead(app.failing ? 500 : 200).end(address);
        })
      : net.createServer((s) => {
          app.hits++;
          s.on('error', () => {});
          // Answers, then stays open until the client ends: a connection held for as long as the client wants.
          s.write(address);
          s.on('end', () => s.end());
        });
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    poolConnections.max = Math.max(poolConnections.max, ++poolConnections.open);
    s.once('close', () => poolConnections.open--);
  });
  app.kill = () => {
    if (server instanceof http.Server) server.closeAllConnections();
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(() => r()));
  };
  return new Promise((resolve) =>
    server.listen(0, address, () => {
      (app as { port: number }).port = (server.address() as AddressInfo).port;
      resolve(app);
    }),
  );
}

export interface PoolLab {
  readonly apps: PoolApp[];
  readonly web: DataplaneHandle;
  /** The outbound port of `pool` on the `web` dataplane (127.0.0.1). */
  readonly port: number;
  /** Applies policies (YAML) and pushes the new resources to `web`, as the control plane does. */
  apply(yaml: string): Promise<void>;
  /** Removes policies by name and pushes. */
  remove(type: string, ...names: string[]): Promise<void>;
  /** The `web` dataplane's /clusters?format=json entry for `pool`. */
  poolCluster(): Promise<{ host_statuses: { address: { socket_address: { address: string } }; health_status: Record<string, unknown> }[] }>;
  /** Addresses whose health flags say they are out (failed active check or outlier ejection). */
  outHosts(): Promise<string[]>;
  stop(): Promise<void>;
}

/** `tags`: extra inbound tags of each pool app (e.g. `version`), by index. */
export async function startPoolLab(protocol: 'http' | 'http2' | 'tcp' = 'http', opts: { tags?: ReadonlyArray<Record<string, string>> } = {}): Promise<PoolLab> {
  const apps = await Promise.all(POOL_ADDRESSES.map((a) => startApp(a, protocol)));
  const port = await freePort();
  const pc = new PolicyCompiler();
  pc.applyAll(
    parseResources(
      [
        `type: Dataplane\nmesh: default\nname: web\nnetworking:\n  address: ${WEB}\n  inbound:\n    - { port: ${await freePort()}, servicePort: 1, tags: { kuma.io/service: web } }\n  outbound:\n    - { port: ${port}, tags: { kuma.io/service: pool } }`,
        ...apps.map((a, i) => {
          const extra = Object.entries(opts.tags?.[i] ?? {}).map(([k, v]) => `, ${k}: ${v}`).join('');
          return `type: Dataplane\nmesh: default\nname: pool-${i + 1}\nnetworking:\n  address: ${a.address}\n  inbound:\n    - { port: ${a.port}, tags: { kuma.io/service: pool, kuma.io/protocol: ${protocol}${extra} } }`;
        }),
      ].join('\n---\n'),
    ),
  );
  const resources = () => {
    const policies = pc.compile('default', 'web');
    return { version: policies.version.versionInfo, set: xdsResourcesOf(policies) };
  };
  const first = resources();
  const web = await startDataplane({ xds: { mesh: 'default', name: 'web', version: first.version, resources: first.set }, admin: { port: 0 } });
  const push = async (): Promise<void> => {
    const r = resources();
    await web.applyXds(r.version, r.set);
  };
  const poolCluster: PoolLab['poolCluster'] = async () => {
    const body = (await (await fetch(`http://127.0.0.1:${web.admin!.port}/clusters?format=json`)).json()) as { cluster_statuses: { name: string }[] };
    return body.cluster_statuses.find((c) => c.name === 'pool') as never;
  };
  return {
    apps,
    web,
    port,
    async apply(yaml) {
      pc.applyAll(parseResources(yaml));
      await push();
    },
    async remove(type, ...names) {
      for (const name of names) pc.delete(type, 'default', name);
      await push();
    },
    poolCluster,
    async outHosts() {
      const c = await poolCluster();
      return c.host_statuses.filter((h) => h.health_status['failed_active_health_check'] || h.health_status['failed_outlier_check']).map((h) => h.address.socket_address.address);
    },
    async stop() {
      await web.stop({ drainMs: 100 });
      await Promise.all(apps.map((a) => a.kill().catch(() => {})));
    },
  };
}

/** One HTTP request from `web`'s address through its `pool` outbound. */
export function poolRequest(lab: PoolLab, path = '/', opts: { method?: string; headers?: http.OutgoingHttpHeaders } = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: lab.port, path, localAddress: WEB, agent: false, timeout: 5_000, ...opts }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('close', () => {
        if (!res.complete) reject(new Error(`response cut after ${body.length} body bytes`));
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.end();
  });
}

/** Waits (bounded) until `check` holds; returns whether it did. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}
