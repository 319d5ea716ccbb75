import { mkdtempSync, chmodSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { installTransparentProxy, parseTransparentProxyConfig } from '@meshcap/core';
import { dataplaneYaml } from '@meshcap/core/testing';
import { describeNetns, Lab, type Host, type HostProcess } from '@meshcap/testkit';
import { buildDataplane } from '../dp-runtime.ts';

const IN_HOST = { allowFail: true } as const;

// The capture rules on the server (REDIRECT to 15006, or TPROXY: transparent sockets, the app sees
// the client's own address), its dataplane with --workers 2 started as root from the build: the
// proxy user's runtime, each worker thread a copy of the bundle with the process's capabilities,
// each with its own SO_REUSEPORT capture sockets (IP_TRANSPARENT too under TPROXY).
function transparentSuite(inboundMode: 'redirect' | 'tproxy', subnet: number): void {
  const SERVER = `198.18.${subnet}.10`;
  const CLIENT = `198.18.${subnet}.1`;
  /** What the app sees as the client: the inbound relay's 127.0.0.6, or under TPROXY the client itself. */
  const SEEN = inboundMode === 'tproxy' ? `::ffff:${CLIENT}` : '::ffff:127.0.0.6';
  describeNetns(`meshcap dp --workers 2 as a transparent proxy, ${inboundMode} inbound`, () => {
    let lab: Lab;
    let client: Host;
    let server: Host;
    let serverDp: HostProcess;

    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'meshcap-dp-workers-netns-'));
      chmodSync(dir, 0o755);
      lab = Lab.create(`dp-workers-${inboundMode}`);
      client = await lab.host('client');
      server = await lab.host('server');
      await lab.link(client, server, { a: [`${CLIENT}/24`], b: [`${SERVER}/24`] });
      await installTransparentProxy(parseTransparentProxyConfig(inboundMode === 'tproxy' ? { inboundMode } : {}), { netns: server.netns });
      const app = server.spawn(process.execPath, ['-e', `require('http').createServer((q,s)=>s.end(q.socket.remoteAddress)).listen(5000,()=>console.log('listening'))`]);
      await app.waitForLine(/listening/);
      const echo = server.spawn(process.execPath, ['-e', `require('net').createServer((s)=>s.pipe(s)).listen(7000,()=>console.log('listening'))`]);
      await echo.waitForLine(/listening/);
      const file = join(dir, 'backend.yaml');
      writeFileSync(file, dataplaneYaml({ mesh: 'default', name: 'backend', address: SERVER, inbound: [{ port: 5000, service: 'backend', protocol: 'http' }], transparentProxying: inboundMode === 'tproxy' ? { inboundMode } : {} }), { mode: 0o644 });
      serverDp = server.spawn(process.execPath, [await buildDataplane(), 'dp', '--dataplane-file', file, '--workers', '2']);
      await serverDp.waitForLine(/^meshcap dp: ready$/, 60_000);
    }, 150_000);

    afterAll(async () => {
      await lab?.destroy();
    });

    /** The server dataplane's stat `name`, summed and per worker, once the sum is `expected` (workers report every 500 ms) or after 5 s. */
    async function statWhen(name: string, expected: number): Promise<{ total: number | undefined; perWorker: number[] }> {
      type Stats = { stats: Array<{ name: string; value: number }>; workers: Array<{ stats: Array<{ name: string; value: number }> }> };
      for (let i = 0; ; i++) {
        const s = JSON.parse((await server.run('curl', ['-sS', 'http://127.0.0.1:9901/stats?format=json'], IN_HOST)).stdout) as Stats;
        const total = s.stats.find((x) => x.name === name)?.value;
        if (total === expected || i === 50) return { total, perWorker: s.workers.map((w) => w.stats.find((x) => x.name === name)?.value ?? 0) };
        await new Promise((res) => setTimeout(res, 100));
      }
    }

    it(`captured connections reach both workers, as the proxy user, the app sees ${SEEN}; /stats sums them`, async () => {
      expect(serverDp.lines).toContain('meshcap dp: 2 engine workers on the listeners (SO_REUSEPORT)');
      expect(serverDp.lines.some((l) => /^meshcap dp: dataplane default\/backend, transparent .*, UID 5678$/.test(l))).toBe(true);
      // 100 requests, each on its own connection (the kernel hashes each connection's 4-tuple to a worker's socket).
      const script = `let ok=0,from=new Set();(async()=>{for(let i=0;i<100;i++){const r=await new Promise((res,rej)=>require('http').get({host:'${SERVER}',port:5000,agent:false},(m)=>{let b='';m.on('data',(d)=>b+=d);m.on('end',()=>res({s:m.statusCode,b}))}).on('error',rej));if(r.s===200)ok++;from.add(r.b)}console.log(JSON.stringify({ok,from:[...from]}))})()`;
      const r = await client.run(process.execPath, ['-e', script], IN_HOST);
      expect(JSON.parse(r.stdout)).toEqual({ ok: 100, from: [SEEN] });
      const { total, perWorker } = await statWhen('http.localhost_5000.downstream_rq_2xx', 100);
      expect(total).toBe(100);
      expect(perWorker.reduce((a, b) => a + b, 0)).toBe(100);
      expect(perWorker.every((n) => n > 0)).toBe(true);
      const info = JSON.parse((await server.run('curl', ['-sS', 'http://127.0.0.1:9901/server_info'], IN_HOST)).stdout);
      expect(info).toMatchObject({ uid: 5678, state: 'LIVE', workers: 2, relay: 'native' });
    });

    it('raw TCP through the passthrough goes through the native relay of each worker', async () => {
      const script = `const net=require('net');let ok=0;(async()=>{for(let i=0;i<50;i++){await new Promise((res,rej)=>{const c=net.connect(7000,'${SERVER}',()=>c.write('ping'+i));let b='';c.on('data',(d)=>{b+=d;if(b==='ping'+i){ok++;c.end()}});c.on('close',res);c.on('error',rej)})}console.log(ok)})()`;
      expect((await client.run(process.execPath, ['-e', script], IN_HOST)).stdout.trim()).toBe('50');
      const { total, perWorker } = await statWhen('listener.inbound_passthrough_ipv4.downstream_cx_relay_native', 50);
      expect(total).toBe(50);
      expect(perWorker.map((n) => n > 0)).toEqual([true, true]);
    });

    it('drains its workers and exits 0 on SIGTERM', async () => {
      serverDp.child.kill('SIGTERM');
      expect(await serverDp.exited).toMatchObject({ code: 0 });
      expect(serverDp.lines).toContain('meshcap dp: stopped');
    });
  });
}

transparentSuite('redirect', 7);
transparentSuite('tproxy', 8);
