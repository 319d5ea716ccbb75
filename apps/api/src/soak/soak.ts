/**
 * `npm run soak`: steady mixed traffic (HTTP GET, HTTP POST with a body, raw TCP echo) through two
 * `meshcap dp` behind the default capture, connected to a real `meshcap cp`, while a MeshTimeout
 * policy is toggled off and on for the client's dataplane every SOAK_TOGGLE_S (5) seconds. Samples
 * both dataplanes' RSS and fd count from /proc every 5 s; prints the drift over the steady state
 * (after the first SOAK_WARMUP_S), the requests and the errors; exits 1 when RSS grew over 10 %
 * after warm-up or any request failed. SOAK_MINUTES (default 30); SOAK_TCP_RELAY (native, the
 * dp's default, or stream) picks the dataplanes' raw TCP relay. Needs root.
 *
 * RSS drift compares the steady state's start with its end: the peak RSS over its first third with
 * the peak over its last third. Peaks, because V8's heap is a sawtooth (a single sample lands
 * anywhere on it); equal windows of the steady state, because under this load a dataplane's RSS
 * climbs for its first ~80 s (106 → ~195 MiB measured here: V8 growing its heap until the first
 * major collections) and then holds, so a baseline taken inside that climb measures the warm-up,
 * not a leak. Hence the default warm-up: a fifth of the run, at least 90 s.
 */
import { installTransparentProxy, parseTransparentProxyConfig } from '@meshcap/core';
import type { InboundFixture } from '@meshcap/core/testing';
import { Lab, type Host, type HostProcess } from '@meshcap/testkit';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { api, cpDir, transparentDataplaneYaml, eventually, startCp, startDataplanes, stopCp } from '../integration/cp-process.ts';

const WEB = '198.18.10.1';
const BACKEND = '198.18.10.2';
const INBOUNDS: InboundFixture[] = [
  { port: 5000, service: 'backend', protocol: 'http' },
  { port: 6000, service: 'backend-tcp', protocol: 'tcp' },
];
const POLICY = `type: MeshTimeout\nmesh: default\nname: soak-timeouts\nspec:\n  targetRef: { kind: Mesh }\n  to:\n    - targetRef: { kind: Mesh }\n      default: { idleTimeout: 30s, http: { requestTimeout: 10s } }\n`;

const APPS = `const http=require('http'),net=require('net');http.createServer((q,s)=>{if(q.method==='POST'){let n=0;q.on('data',(d)=>n+=d.length);q.on('end',()=>s.end(String(n)));return}s.end('ok')}).listen(5000,()=>console.log('http'));net.createServer((s)=>s.pipe(s)).listen(6000,()=>console.log('tcp'))`;
// Four workers, each looping over GET, POST 4 KiB, TCP echo; a JSON line of counts each second.
const LOAD = `const http=require('http'),net=require('net');const agent=new http.Agent({keepAlive:true,maxSockets:4});let ok=0,failed=0;const errors=[];let stop=false;
const fail=(what,e)=>{failed++;if(errors.length<20)errors.push(what+': '+(e&&e.code||e))};
const get=()=>new Promise((r)=>{http.get({host:'${BACKEND}',port:5000,path:'/',agent,timeout:15000},(res)=>{let b='';res.on('data',(d)=>b+=d);res.on('end',()=>{res.statusCode===200&&b==='ok'?ok++:fail('GET',res.statusCode);r()})}).on('error',(e)=>{fail('GET',e);r()})});
const post=()=>new Promise((r)=>{const body='y'.repeat(4096);const q=http.request({host:'${BACKEND}',port:5000,path:'/p',method:'POST',agent,timeout:15000,headers:{'content-length':body.length}},(res)=>{let b='';res.on('data',(d)=>b+=d);res.on('end',()=>{res.statusCode===200&&b==='4096'?ok++:fail('POST',res.statusCode+' '+b);r()})});q.on('error',(e)=>{fail('POST',e);r()});q.end(body)});
const tcp=()=>new Promise((r)=>{const s=net.connect(6000,'${BACKEND}');let b='';s.setTimeout(15000,()=>{fail('TCP','timeout');s.destroy();r()});s.on('connect',()=>s.end('ping'));s.on('data',(d)=>b+=d);let err;s.on('close',()=>{if(b==='ping')ok++;else if(!s.timedOut)fail('TCP',err||'got '+JSON.stringify(b));r()});s.on('error',(e)=>{err=e})});
const worker=async()=>{while(!stop){await get();await post();await tcp()}};
setInterval(()=>console.log(JSON.stringify({ok,failed,errors})),1000);process.on('SIGTERM',()=>{stop=true;setTimeout(()=>{console.log(JSON.stringify({ok,failed,errors,final:true}));process.exit(0)},2000)});
for(let i=0;i<4;i++)worker();`;

interface Sample {
  at: number;
  rssKiB: number;
  fds: number;
}

async function proxyPid(host: Host): Promise<number> {
  const out = (await host.sh(`for p in $(ip netns pids ${host.netns}); do [ "$(stat -c %u /proc/$p)" = 5678 ] && echo $p; done; true`)).stdout.split('\n').filter(Boolean);
  if (out.length !== 1) throw new Error(`expected one proxy-user process in ${host.label}, found ${out.length}`);
  return Number(out[0]);
}

function sample(pid: number): Sample {
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { at: Date.now(), rssKiB: Number(rss?.[1]), fds: readdirSync(`/proc/${pid}/fd`).length };
}

export interface SoakResult {
  requests: number;
  failed: number;
  errors: string[];
  toggles: number;
  drift: Record<string, { rssPct: number; fds: number }>;
  ok: boolean;
}

export async function runSoak(opts: { minutes: number; warmupS?: number; toggleS?: number; tcpRelay?: string; log?: (line: string) => void }): Promise<SoakResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const durationMs = opts.minutes * 60_000;
  const warmupMs = (opts.warmupS ?? Math.max(90, (durationMs / 1000) * 0.2)) * 1000;
  // Samples come every 5 s: the steady state needs three for a first and a last third.
  if (durationMs < warmupMs + 15_000) throw new Error(`a ${opts.minutes} min soak leaves under 15 s after its ${warmupMs / 1000} s warm-up to judge RSS by: run longer or set SOAK_WARMUP_S`);
  const toggleMs = (opts.toggleS ?? 5) * 1000;
  const where = cpDir('meshcap-soak-');
  const lab = Lab.create('soak');
  const cp = await startCp(where);
  let load: HostProcess | undefined;
  try {
    const web = await lab.host('web');
    const backend = await lab.host('backend');
    await lab.link(web, backend, { a: [`${WEB}/24`], b: [`${BACKEND}/24`] });
    for (const h of [web, backend]) await installTransparentProxy(parseTransparentProxyConfig({}), { netns: h.netns });
    // Hundreds of short TCP connections a second for minutes leave their ports in TIME_WAIT (60 s):
    // as a busy client host would be tuned, reuse them for new outgoing connections (per namespace),
    // so the soak measures the proxy, not the load generator's port range.
    for (const h of [web, backend]) await h.sh('sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="10000 65000"');
    const apps = backend.spawn(process.execPath, ['-e', APPS]);
    await apps.waitForLine(/tcp|http/);
    await api(cp, '/api/resources', { method: 'POST', body: POLICY, type: 'application/yaml' });
    const args = opts.tcpRelay === undefined ? [] : ['--tcp-relay', opts.tcpRelay];
    await startDataplanes(cp, where, [
      { name: 'web', host: web, yaml: transparentDataplaneYaml({ name: 'web', address: WEB }), args },
      { name: 'backend', host: backend, yaml: transparentDataplaneYaml({ name: 'backend', address: BACKEND, inbound: INBOUNDS }), args },
    ], 120_000);
    await eventually(async () => {
      const { items } = await api<{ items: Array<{ upToDate: boolean }> }>(cp, '/api/meshes/default/dataplanes');
      return items.length === 2 && items.every((d) => d.upToDate) ? true : undefined;
    }, 'both dataplanes up to date', 60_000);
    const pids = { web: await proxyPid(web), backend: await proxyPid(backend) };
    load = web.spawn(process.execPath, ['-e', LOAD]);
    const t0 = Date.now();
    const samples: Record<string, Sample[]> = { web: [], backend: [] };
    let toggles = 0;
    let enabled = true;
    let nextToggle = t0 + toggleMs;
    let nextSample = t0;
    let nextReport = t0 + 60_000;
    while (Date.now() - t0 < durationMs) {
      const now = Date.now();
      if (now >= nextToggle) {
        enabled = !enabled;
        await api(cp, '/api/meshes/default/dataplanes/web/policies/MeshTimeout/soak-timeouts', { method: 'PUT', body: JSON.stringify({ enabled }) });
        toggles++;
        nextToggle = now + toggleMs;
      }
      if (now >= nextSample) {
        for (const [name, pid] of Object.entries(pids)) samples[name]!.push(sample(pid));
        nextSample = now + 5_000;
      }
      if (now >= nextReport) {
        const last = load.jsonLines<{ ok: number; failed: number }>().at(-1);
        log(`[soak] ${((now - t0) / 60_000).toFixed(1)} min: ${last?.ok ?? 0} requests, ${last?.failed ?? 0} failed, ${toggles} toggles, RSS web ${(samples.web!.at(-1)!.rssKiB / 1024).toFixed(1)} MiB, backend ${(samples.backend!.at(-1)!.rssKiB / 1024).toFixed(1)} MiB`);
        nextReport = now + 60_000;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    load.child.kill('SIGTERM');
    await load.waitForLine(/"final":true/, 20_000);
    const final = load.jsonLines<{ ok: number; failed: number; errors: string[]; final?: boolean }>().find((l) => l.final)!;
    for (const [name, pid] of Object.entries(pids)) samples[name]!.push(sample(pid));
    const drift: SoakResult['drift'] = {};
    const mib = (kib: number): string => (kib / 1024).toFixed(1);
    for (const [name, list] of Object.entries(samples)) {
      const steady = list.filter((s) => s.at - t0 >= warmupMs);
      const third = Math.max(1, Math.floor(steady.length / 3));
      const start = Math.max(...steady.slice(0, third).map((s) => s.rssKiB));
      const end = Math.max(...steady.slice(-third).map((s) => s.rssKiB));
      const first = steady[0]!;
      const last = steady.at(-1)!;
      drift[name] = { rssPct: ((end - start) / start) * 100, fds: last.fds - first.fds };
      const windowS = Math.round((last.at - first.at) / 1000 / 3);
      log(
        `[soak] ${name}: RSS ${mib(list[0]!.rssKiB)} MiB at start; after the ${warmupMs / 1000} s warm-up ${mib(start)} MiB, at the end ${mib(end)} MiB (drift ${drift[name].rssPct.toFixed(1)} %; peaks of the first and last ~${windowS} s), ` +
          `fds ${first.fds} → ${last.fds} (drift ${drift[name].fds})`,
      );
    }
    const ok = final.failed === 0 && final.ok > 0 && Object.values(drift).every((d) => d.rssPct <= 10);
    log(`[soak] ${opts.minutes} min${opts.tcpRelay ? ` (${opts.tcpRelay} TCP relay)` : ''}: ${final.ok} requests, ${final.failed} failed${final.errors.length ? ` (${final.errors.join('; ')})` : ''}, ${toggles} policy toggles: ${ok ? 'PASS' : 'FAIL'}`);
    return { requests: final.ok, failed: final.failed, errors: final.errors, toggles, drift, ok };
  } finally {
    load?.child.kill('SIGKILL');
    await lab.destroy();
    await stopCp(cp);
    rmSync(where.dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const minutes = Number(process.env['SOAK_MINUTES'] ?? 30);
  const warmupS = process.env['SOAK_WARMUP_S'] === undefined ? undefined : Number(process.env['SOAK_WARMUP_S']);
  const toggleS = process.env['SOAK_TOGGLE_S'] === undefined ? undefined : Number(process.env['SOAK_TOGGLE_S']);
  runSoak({ minutes, warmupS, toggleS, tcpRelay: process.env['SOAK_TCP_RELAY'] }).then(
    (r) => process.exit(r.ok ? 0 : 1),
    (err: unknown) => {
      console.error(`[soak] could not run: ${(err as Error).stack ?? String(err)}`);
      process.exit(2);
    },
  );
}
