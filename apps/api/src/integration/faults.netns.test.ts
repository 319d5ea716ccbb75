import type { FlowRecord } from '@meshcap/core';
import { describeNetns, Lab, type Host, type HostProcess } from '@meshcap/testkit';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { api, BACKEND_INBOUND, BIN, cpDir, curl, transparentDataplaneYaml, eventually, meshHosts, startCp, startDataplanes, stopCp, type Cp } from './cp-process.ts';

/**
 * Faults on real processes: `meshcap cp` and two `meshcap dp` in network namespaces behind the
 * default capture. The control plane goes away for FAULT_CP_OUTAGE_S (the 60 s) under
 * steady traffic; a dataplane is killed with SIGKILL mid-transfer and restarted.
 */

const WEB = '198.18.7.1';
const BACKEND = '198.18.7.2';
const OUTAGE_S = Number(process.env['FAULT_CP_OUTAGE_S'] ?? 60);

const where = cpDir('meshcap-faults-');

interface DpView {
  name: string;
  connected: boolean;
  configVersion: string | null;
  upToDate: boolean;
  totalUpdates: number;
}

// The backend app: `/` answers ok; `/slow` streams a chunk every 50 ms for 30 s (a transfer to cut).
const APP = `const http=require('http');let hits=0;http.createServer((q,s)=>{hits++;console.log('hit '+hits+' '+q.url);if(q.url==='/slow'){s.writeHead(200);const t=setInterval(()=>s.write('x'.repeat(1024)),50);setTimeout(()=>{clearInterval(t);s.end()},30000);s.on('close',()=>clearInterval(t));return}s.end('ok')}).listen(5000,()=>console.log('listening'))`;
// A client that streams /slow and prints when bytes flow and when (and how) the stream ended.
const SLOW_CLIENT = `const http=require('http');const r=http.get('http://${BACKEND}:5000/slow',(res)=>{let n=0;res.on('data',(d)=>{n+=d.length;if(n>=4096&&!r.told){r.told=true;console.log('streaming')}});res.on('end',()=>console.log('ended end '+n));res.on('error',(e)=>console.log('ended error '+e.code));res.on('aborted',()=>console.log('ended aborted'))});r.on('error',(e)=>console.log('ended error '+e.code));`;

describeNetns('faults on real processes: access log disk full, control plane outage, dataplane SIGKILL', () => {
  let lab: Lab;
  let web: Host;
  let backend: Host;
  let app: HostProcess;
  let cp: Cp;
  const dps: HostProcess[] = [];

  const dataplanes = async () => Object.fromEntries((await api<{ items: DpView[] }>(cp, '/api/meshes/default/dataplanes')).items.map((d) => [d.name, d])) as Record<string, DpView>;
  const bothUpToDate = async () => {
    const d = await dataplanes();
    return d.web?.upToDate && d.backend?.upToDate ? d : undefined;
  };

  beforeAll(async () => {
    cp = await startCp(where);
    lab = Lab.create('faults');
    web = await lab.host('web');
    backend = await lab.host('backend');
    await lab.link(web, backend, { a: [`${WEB}/24`], b: [`${BACKEND}/24`] });
    await meshHosts([web, backend], web, 5999); // capture in both; a throwaway app in web
    app = backend.spawn(process.execPath, ['-e', APP]);
    await app.waitForLine(/listening/);
    dps.push(
      ...(await startDataplanes(cp, where, [
        { name: 'web', host: web, yaml: transparentDataplaneYaml({ name: 'web', address: WEB }) },
        { name: 'backend', host: backend, yaml: transparentDataplaneYaml({ name: 'backend', address: BACKEND, inbound: BACKEND_INBOUND }) },
      ], 90_000)),
    );
    await eventually(bothUpToDate, 'both dataplanes up to date');
  }, 180_000);

  afterAll(async () => {
    await lab?.destroy();
    await stopCp(cp);
    rmSync(where.dir, { recursive: true, force: true });
  });

  it('the dataplane admin listens on loopback only: 127.0.0.1:9901 in its namespace, refused from the other host', async () => {
    const listening = (await web.run('ss', ['-Hltn'])).stdout.split('\n').filter((l) => /:9901\s/.test(l));
    expect(listening.length).toBeGreaterThan(0);
    for (const l of listening) expect(l.split(/\s+/)[3]).toBe('127.0.0.1:9901');
    expect(await curl(web, 'http://127.0.0.1:9901/ready')).toBe('200');
    expect(await curl(backend, `http://${WEB}:9901/ready`, ['--max-time', '3'])).toBe('000');
  });

  it('access log on a full disk (/dev/full: every write is ENOSPC): the proxy keeps proxying, the errors are counted and said', async () => {
    const log = `type: MeshAccessLog\nmesh: default\nname: full-disk\nspec:\n  targetRef: { kind: MeshService, name: backend }\n  from:\n    - targetRef: { kind: Mesh }\n      default:\n        backends:\n          - file: { path: /dev/full }\n`;
    await api(cp, '/api/resources', { method: 'POST', body: log, type: 'application/yaml' });
    await eventually(async () => {
      const d = await bothUpToDate();
      return d && (await curl(backend, 'http://127.0.0.1:9901/config_dump')) === '200' && (await backend.run('curl', ['-sS', 'http://127.0.0.1:9901/config_dump'])).stdout.includes('/dev/full') ? d : undefined;
    }, 'the access log in force');
    const statuses: string[] = [];
    for (let i = 0; i < 10; i++) statuses.push(await curl(web, `http://${BACKEND}:5000/`));
    expect(statuses.every((st) => st === '200')).toBe(true);
    const stats = await eventually(async () => {
      const text = (await backend.run('curl', ['-sS', 'http://127.0.0.1:9901/stats?filter=access_log.dev_full'])).stdout;
      return /access_log\.dev_full\.errors: [1-9]/.test(text) ? text : undefined;
    }, 'the access log errors counted');
    expect(stats).toMatch(/access_log\.dev_full\.errors: [1-9]/);
    expect(dps[1]!.stderr).toContain('access log /dev/full: ENOSPC');
    await api(cp, '/api/meshes/default/resources/MeshAccessLog/full-disk', { method: 'DELETE' });
  }, 120_000);

  it(`control plane stopped for ${OUTAGE_S} s under steady traffic: zero failed requests, last config kept, every flow delivered after it is back or counted dropped; nothing pushed twice`, async () => {
    const running = await eventually(bothUpToDate, 'both up to date');
    await stopCp(cp, 'SIGKILL');
    const down = Date.now();
    const statuses: string[] = [];
    while (Date.now() - down < OUTAGE_S * 1000) {
      statuses.push(await curl(web, `http://${BACKEND}:5000/`));
      await new Promise((r) => setTimeout(r, 200));
    }
    const failed = statuses.filter((s) => s !== '200');
    expect(statuses.length).toBeGreaterThanOrEqual(OUTAGE_S / 2); // steady: one every 200 ms plus the curl (slow on a loaded machine)
    expect(failed).toEqual([]);
    cp = await startCp(where);
    const n = statuses.length;
    const list = await eventually(async () => {
      const l = await api<{ items: FlowRecord[]; drops: { dataplanes: number } }>(cp, `/api/flows?since=${down}&limit=10000`);
      const count = (name: string) => l.items.filter((f) => f.dataplane === name && f.destination?.port === 5000).length;
      return count('web') + count('backend') + l.drops.dataplanes >= 2 * n ? l : undefined;
    }, 'the flows of the outage', 60_000);
    const delivered = list.items.filter((f) => f.destination?.port === 5000).length;
    console.log(`[faults] cp outage ${OUTAGE_S} s: ${n} requests, 0 failed; flows delivered ${delivered}, counted dropped ${list.drops.dataplanes}`);
    expect(delivered + list.drops.dataplanes).toBe(2 * n);
    // After a long outage the ADS client's reconnect backoff is at its longest: allow for it.
    const after = await eventually(bothUpToDate, 'reconnection (ADS ACK of the version it runs)', 120_000);
    expect(after.web!.configVersion).toBe(running.web!.configVersion);
    expect(after.backend!.configVersion).toBe(running.backend!.configVersion);
    expect(after.web!.totalUpdates).toBe(0);
    expect(after.backend!.totalUpdates).toBe(0);
  }, (OUTAGE_S + 240) * 1000);

  it('kill -9 of a dataplane mid-transfer: the client sees the stream cut within 1 s; the capture keeps refusing (no bypass); a restarted dataplane serves again', async () => {
    const client = web.spawn(process.execPath, ['-e', SLOW_CLIENT]);
    await client.waitForLine(/streaming/, 15_000);
    // The proxy itself: the proxy-user process in backend's namespace (the root parent only supervises).
    const pids = (await backend.sh(`for p in $(ip netns pids ${backend.netns}); do [ "$(stat -c %u /proc/$p)" = 5678 ] && echo $p; done; true`)).stdout.split('\n').filter(Boolean);
    expect(pids.length).toBe(1);
    const killedAt = Date.now();
    process.kill(Number(pids[0]), 'SIGKILL');
    const ended = await client.waitForLine(/^ended/, 10_000);
    const cutMs = Date.now() - killedAt;
    console.log(`[faults] dp SIGKILL mid-transfer: client saw "${ended}" after ${cutMs} ms`);
    expect(ended).not.toMatch(/ended end 3\d{5}/); // not the full 30 s body
    expect(cutMs).toBeLessThan(1_000);
    await dps[1]!.exited;

    // With the proxy dead, the capture rules still send port 5000 to 15006, where nothing listens: refused, never passed to the app directly.
    const hitsBefore = app.lines.filter((l) => l.startsWith('hit')).length;
    for (let i = 0; i < 3; i++) expect(await curl(web, `http://${BACKEND}:5000/`, ['--max-time', '3'])).toBe('000');
    expect(app.lines.filter((l) => l.startsWith('hit')).length).toBe(hitsBefore);

    const tokenFile = join(where.dir, 'backend.token');
    const file = join(where.dir, 'backend.yaml');
    writeFileSync(file, transparentDataplaneYaml({ name: 'backend', address: BACKEND, inbound: BACKEND_INBOUND }), { mode: 0o644 });
    const restarted = backend.spawn(process.execPath, [BIN, 'dp', '--dataplane-file', file, '--cp', `unix:${where.socket}`, '--dataplane-token-file', tokenFile]);
    await restarted.waitForLine(/connected to the control plane as default\//, 90_000);
    dps[1] = restarted;
    expect(await eventually(async () => ((await curl(web, `http://${BACKEND}:5000/`)) === '200' ? true : undefined), 'backend served again')).toBe(true);
  }, 180_000);
});
