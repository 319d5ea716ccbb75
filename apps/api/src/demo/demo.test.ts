import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseResources, type FlowRecord } from '@meshcap/core';
import { describeNetns } from '@meshcap/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoIdFor, demoPolicyFiles, demoResidue, startDemo, sweepDeadDemos, type DemoHandle } from './index.ts';
import { DEMO_ID_ENV, listNetns } from './leftovers.ts';
import { runCommand } from './system.ts';

interface FlowList {
  items: FlowRecord[];
}

/** Flows of one dataplane from the control plane API, polled (bounded) until `ok` holds for the list. */
async function flowsUntil(demo: DemoHandle, query: string, ok: (flows: FlowRecord[]) => boolean, timeoutMs = 30_000): Promise<FlowRecord[]> {
  const deadline = Date.now() + timeoutMs;
  let flows: FlowRecord[] = [];
  while (Date.now() < deadline) {
    flows = (await demo.api.getJson<FlowList>(`/api/flows?${query}&limit=500`)).items;
    if (ok(flows)) return flows;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`flows for ${query} never matched; last ${flows.length}: ${JSON.stringify(flows.slice(0, 3))}`);
}

function expectNothingLeft(demo: DemoHandle, left: ReturnType<typeof demoResidue>): void {
  expect(left).toEqual({ namespaces: [], processes: [], stateDirs: [] });
  expect(listNetns().filter((n) => n.startsWith(`${demo.id}-`))).toEqual([]);
  for (const p of demo.processes()) expect(p.running, `${p.name} (pid ${p.pid})`).toBe(false);
}

describe('demo policies', () => {
  it('are Kuma-format resources that load as written, one of each example kind', () => {
    const kinds = demoPolicyFiles().flatMap((file) => parseResources(readFileSync(file, 'utf8'), { source: file }).map((r) => r.type));
    expect(kinds.sort()).toEqual(['MeshFaultInjection', 'MeshRateLimit', 'MeshTimeout', 'MeshTrafficPermission']);
  });
});

describeNetns('meshcap demo in network namespaces (transparent proxy)', () => {
  let demo: DemoHandle;

  beforeAll(async () => {
    demo = await startDemo({ mode: 'transparent', apiPort: 0, rate: 8, directEvery: 4 });
  }, 180_000);

  afterAll(async () => {
    await demo?.stop();
  });

  it('runs every workload in its own namespace with the capture rules installed', async () => {
    expect(demo.mode).toBe('transparent');
    const namespaces = listNetns().filter((n) => n.startsWith(`${demo.id}-`)).sort();
    expect(namespaces).toEqual([`${demo.id}-backend`, `${demo.id}-client`, `${demo.id}-frontend`, `${demo.id}-net`]);
    for (const dp of demo.dataplanes) {
      const rules = (await runCommand('ip', ['netns', 'exec', dp.netns!, 'iptables-save', '-t', 'nat'])).stdout;
      expect(rules, dp.name).toMatch(/-A KUMA_MESH_OUTBOUND_REDIRECT .*REDIRECT --to-ports 15001/);
      expect(rules, dp.name).toMatch(/-A KUMA_MESH_INBOUND_REDIRECT .*REDIRECT --to-ports 15006/);
    }
  });

  it('sends the client\'s traffic through capture on every hop, with original destinations', { timeout: 120_000 }, async () => {
    const frontend = demo.dataplanes.find((d) => d.name === 'frontend')!;
    const backend = demo.dataplanes.find((d) => d.name === 'backend')!;
    // The client dialled the frontend's own address; its dataplane caught it on 15001.
    const toFrontend = (x: FlowRecord) => x.destination.address === frontend.address && x.destination.port === 5000 && x.http?.status === 200;
    const clientOut = await flowsUntil(demo, 'dataplane=client&direction=outbound', (f) => f.some(toFrontend));
    expect(clientOut.find(toFrontend)).toMatchObject({ capture: 'redirect', mesh: 'default', listener: `outbound:${frontend.address}:5000` });
    // The frontend's inbound (15006) and its call to the backend (15001).
    const servedV4 = (x: FlowRecord) => x.http?.status === 200 && x.destination.address === frontend.address;
    const frontendIn = await flowsUntil(demo, 'dataplane=frontend&direction=inbound', (f) => f.some(servedV4));
    expect(frontendIn.find(servedV4)).toMatchObject({ capture: 'redirect', listener: frontend.inboundListener, destination: { address: frontend.address, port: 5000 } });
    // The client also calls the frontend at its IPv6 address; ip6tables captures those on 15001 too.
    await flowsUntil(demo, 'dataplane=client&direction=outbound', (f) => f.some((x) => x.http?.status === 200 && x.destination.address === frontend.ipv6 && x.capture === 'redirect'));
    await flowsUntil(demo, 'dataplane=frontend&direction=outbound', (f) => f.some((x) => x.destination.address === backend.address && x.destination.port === 8080 && x.http?.status === 200));
    // The backend: delayed requests from the frontend, and the client's direct calls denied.
    const backendIn = await flowsUntil(
      demo,
      'dataplane=backend&direction=inbound',
      (f) => f.some((x) => x.policies.some((p) => p.type === 'MeshFaultInjection')) && f.some((x) => x.verdict === 'denied'),
      45_000,
    );
    const delayed = backendIn.find((x) => x.policies.some((p) => p.type === 'MeshFaultInjection'))!;
    expect(delayed.timings.totalMs).toBeGreaterThanOrEqual(300);
    const denied = backendIn.find((x) => x.verdict === 'denied')!;
    expect(denied.client.address).toBe(demo.dataplanes.find((d) => d.name === 'client')!.address);
    expect(denied.http?.status).toBe(403);
  });

  it('stops everything: no namespace, veth, rule or process is left', async () => {
    const left = await demo.stop();
    expectNothingLeft(demo, left);
  });
});

describe('meshcap demo without transparent proxying (explicit listeners on loopback)', () => {
  let demo: DemoHandle;

  beforeAll(async () => {
    demo = await startDemo({ mode: 'explicit', apiPort: 0, rate: 8, directEvery: 0 });
  }, 180_000);

  afterAll(async () => {
    await demo?.stop();
  });

  it('proxies the client through explicit inbound and outbound listeners', { timeout: 90_000 }, async () => {
    expect(demo.mode).toBe('explicit');
    const frontend = demo.dataplanes.find((d) => d.name === 'frontend')!;
    const flows = await flowsUntil(demo, 'dataplane=frontend&direction=inbound', (f) => f.some((x) => x.http?.status === 200));
    expect(flows.find((x) => x.http?.status === 200)).toMatchObject({ capture: 'explicit', listener: frontend.inboundListener });
    await flowsUntil(demo, 'dataplane=backend&direction=inbound', (f) => f.some((x) => x.http?.status === 200));
  });

  it('stops everything it started', async () => {
    expectNothingLeft(demo, await demo.stop());
  });
});

describeNetns('meshcap demo leftovers', () => {
  it('a new demo removes what a killed one left: its namespaces and its processes, nothing else', async () => {
    // A demo owner that is gone: a process that has exited.
    const owner = spawn(process.execPath, ['-e', '0']);
    const deadPid = await new Promise<number>((resolve) => owner.on('exit', () => resolve(owner.pid!)));
    const id = demoIdFor(deadPid);
    await runCommand('ip', ['netns', 'add', `${id}-frontend`]);
    // A process of that demo still running in the root namespace (a control plane), and one in its namespace.
    const orphan = spawn('sleep', ['300'], { env: { ...process.env, [DEMO_ID_ENV]: id }, detached: true, stdio: 'ignore' });
    const inNetns = spawn('ip', ['netns', 'exec', `${id}-frontend`, 'sleep', '300'], { detached: true, stdio: 'ignore' });
    // Someone else's live demo must be left alone.
    const live = demoIdFor(process.pid);
    await runCommand('ip', ['netns', 'add', `${live}-keep`]);
    try {
      await new Promise((r) => setTimeout(r, 200));
      expect(demoResidue(id).namespaces).toEqual([`${id}-frontend`]);
      expect(demoResidue(id).processes).toContain(orphan.pid);

      expect(sweepDeadDemos()).toContain(id);
      expect(demoResidue(id)).toEqual({ namespaces: [], processes: [], stateDirs: [] });
      await new Promise<void>((resolve) => (inNetns.exitCode !== null ? resolve() : inNetns.on('exit', () => resolve())));
      expect(listNetns()).toContain(`${live}-keep`);
    } finally {
      orphan.kill('SIGKILL');
      inNetns.kill('SIGKILL');
      await runCommand('ip', ['netns', 'del', `${live}-keep`], { allowFail: true });
      await runCommand('ip', ['netns', 'del', `${id}-frontend`], { allowFail: true });
    }
  });
});

describeNetns('meshcap demo (the CLI verb)', () => {
  it('with MESHCAP_TOKEN set (the cp would take it), applies its policies with that token, prints it, and Ctrl-C removes everything', async () => {
    const envToken = 'mcadm_from-the-environment-0123';
    const bin = fileURLToPath(new URL('../../bin/meshcap.js', import.meta.url));
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const child = spawn(process.execPath, [bin, 'demo', '--port', String(port), '--rate', '4'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MESHCAP_TOKEN: envToken } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const id = demoIdFor(child.pid!);
    try {
      const deadline = Date.now() + 150_000;
      while (!/Press Ctrl-C/.test(stdout) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 250));
      expect(stdout, stderr).toMatch(/Press Ctrl-C/);
      expect(/token\s+(\S+)/.exec(stdout)?.[1]).toBe(envToken);
      expect(stdout).toContain(`http://127.0.0.1:${port}/gui/#token=${envToken}`);
      const policies = (await (await fetch(`http://127.0.0.1:${port}/api/meshes/default/policies`)).json()) as { items?: unknown[] };
      expect(policies.items?.length ?? 0).toBeGreaterThanOrEqual(4);
      const dataplanes = await (await fetch(`http://127.0.0.1:${port}/api/meshes/default/dataplanes`)).json();
      expect((dataplanes as { items: Array<{ name: string; connected: boolean }> }).items.filter((d) => d.connected).map((d) => d.name).sort()).toEqual(['backend', 'client', 'frontend']);
      expect(demoResidue(id).namespaces.length).toBe(4);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stderr).toContain('no namespace, veth, rule or process is left');
      expect(demoResidue(id)).toEqual({ namespaces: [], processes: [], stateDirs: [] });
    } finally {
      child.kill('SIGKILL');
      await exited;
      sweepDeadDemos();
    }
  }, 200_000);
});
