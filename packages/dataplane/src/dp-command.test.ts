import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installTransparentProxy, parseTransparentProxyConfig } from '@meshcap/core';
import { dataplaneYaml } from '@meshcap/core/testing';
import { describeNetns, freePort, Lab, type Host, type HostProcess } from '@meshcap/testkit';

/** Commands in a test host (testkit's `host.run`, 20 s bound): the result even when the command fails. */
const IN_HOST = { allowFail: true } as const;
import { buildDataplane } from './dp-runtime.ts';
import { bootstrap } from './testing/bootstrap.ts';
import { dpMain as main } from './main.ts';

/** `meshcap dp` as a process: the dataplane's entry (what `meshcap dp` hands to, and what the proxy-user runtime bundles). */
const dpProcess = ['--import', 'tsx', fileURLToPath(new URL('./dp-main.ts', import.meta.url))];
const dir = mkdtempSync(join(tmpdir(), 'meshcap-dp-cli-'));
chmodSync(dir, 0o755);

function file(name: string, text: string, mode = 0o644): string {
  const path = join(dir, name);
  writeFileSync(path, text, { mode });
  return path;
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('meshcap dp: flags and files', () => {
  it('requires --dataplane-file and names bad flag values', async () => {
    expect(await cli(['dp'])).toMatchObject({ code: 2, err: 'error: --dataplane-file is required (the Dataplane resource to run), or --bootstrap (an Envoy bootstrap)' });
    const f = file('ok.yaml', 'type: Dataplane\nname: a\nnetworking:\n  address: 127.0.0.1\n');
    expect((await cli(['dp', '--dataplane-file', f, '--admin-port', '70000'])).err).toBe('error: --admin-port: "70000" is not a whole number from 0 to 65535');
    expect((await cli(['dp', '--dataplane-file', f, '--idle-timeout', 'soon'])).err).toBe('error: --idle-timeout: "soon" is not a duration (such as 500ms, 5s, 1m, 1h)');
    expect((await cli(['dp', '--dataplane-file', f, '--bogus'])).code).toBe(2);
    // The admin endpoints have no token: loopback only.
    for (const address of ['0.0.0.0', '198.18.0.1', '::']) {
      expect(await cli(['dp', '--dataplane-file', f, '--admin-address', address])).toMatchObject({ code: 2, err: expect.stringContaining('not a loopback address') });
    }
  });

  it('reports a bad Dataplane with its field path and line, and a missing file', async () => {
    const bad = file('bad.yaml', 'type: Dataplane\nname: a\nnetworking:\n  address: 127.0.0.1\n  inbound:\n    - port: 99999\n      tags: { kuma.io/service: a }\n');
    const r = await cli(['dp', '--dataplane-file', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.yaml:6:\d+: networking\.inbound\[0\]\.port: must be 1\.\.65535/);
    const missing = await cli(['dp', '--dataplane-file', join(dir, 'nope.yaml')]);
    expect(missing).toMatchObject({ code: 1 });
    expect(missing.err).toContain('--dataplane-file: cannot read');
    expect(missing.err).toContain('ENOENT');
    const two = file('two.yaml', 'type: Dataplane\nname: a\nnetworking: { address: 127.0.0.1 }\n---\ntype: Dataplane\nname: b\nnetworking: { address: 127.0.0.1 }\n');
    expect((await cli(['dp', '--dataplane-file', two])).err).toContain('2 Dataplanes (a, b); say which one to run with --name');
  });
});


describe('meshcap dp --bootstrap: an Envoy bootstrap, run as if received over xDS', () => {
  it('refuses a bad bootstrap naming the file and the field path', async () => {
    const noNode = await cli(['dp', '--bootstrap', file('no-node.yaml', 'node: { id: standalone }\n')]);
    expect(noNode).toMatchObject({ code: 1 });
    expect(noNode.err).toContain('no-node.yaml: node.id: "standalone" is not <mesh>.<name>');
    const f = file('health.yaml', bootstrap(1, [{ port: 1 }], '\n      health_checks: [{ timeout: 1s }]'));
    const r = await cli(['dp', '--bootstrap', f]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${f}: static_resources.clusters[0] (Cluster "app").health_checks[0].interval: is required and must be more than 0s (as in Envoy)`);
    expect((await cli(['dp', '--bootstrap', f, '--dataplane-file', f])).err).toBe('error: --dataplane-file and --bootstrap: give one of them');
  });

  it('serves the listeners of static_resources with their filters, and /config_dump shows them', async () => {
    const app = http.createServer((_req, res) => res.end('from app'));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const appPort = (app.address() as AddressInfo).port;
    const plain = await freePort();
    const faulty = await freePort();
    const f = file('bootstrap.yaml', bootstrap(appPort, [{ port: plain }, { port: faulty, abort: 418 }]));
    const dp = spawn(process.execPath, [...dpProcess, 'dp', '--bootstrap', f], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      dp.stdout.on('data', (d: Buffer) => (out += d.toString()));
      dp.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const deadline = Date.now() + 20_000;
      while (!out.includes('meshcap dp: ready') && Date.now() < deadline && dp.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain('meshcap dp: dataplane default/standalone');
      const admin = /admin: (http:\/\/[^\s]+)/.exec(out)![1]!;
      expect(await (await fetch(`http://127.0.0.1:${plain}/`)).text()).toBe('from app');
      const aborted = await fetch(`http://127.0.0.1:${faulty}/`);
      expect(aborted.status).toBe(418);
      const dump = (await (await fetch(`${admin}/config_dump`)).json()) as { configs: Array<Record<string, unknown>> };
      const listeners = dump.configs.find((c) => String(c['@type']).endsWith('ListenersConfigDump'))!['dynamic_listeners'] as Array<Record<string, Record<string, unknown>>>;
      expect(listeners.map((l) => (l['active_state']!['listener'] as Record<string, unknown>)['name'])).toEqual([`inbound:127.0.0.1:${plain}`, `inbound:127.0.0.1:${faulty}`]);
      expect(listeners[1]!['active_state']!['listener']).toMatchObject({ '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener', address: { socket_address: { address: '127.0.0.1', port_value: faulty } } });
      const bootstrapDump = dump.configs.find((c) => String(c['@type']).endsWith('BootstrapConfigDump'))!['bootstrap'] as Record<string, Record<string, unknown>>;
      expect(bootstrapDump['node']!['id']).toBe('default.standalone');
    } finally {
      dp.kill('SIGTERM');
      await new Promise((r) => (dp.exitCode === null ? dp.once('exit', r) : r(undefined)));
      app.close();
    }
  });
});

const SERVER = '198.18.5.10';
const CLIENT = '198.18.5.1';

describeNetns('meshcap dp started as root next to the default install transparent-proxy', () => {
  let lab: Lab;
  let client: Host;
  let server: Host;
  let serverDp: HostProcess;
  let clientDp: HostProcess;
  let built: string;

  const backend = dataplaneYaml({ mesh: 'default', name: 'backend', address: SERVER, inbound: [{ port: 5000, service: 'backend', protocol: 'http' }], transparentProxying: {} });

  beforeAll(async () => {
    lab = Lab.create('dp-cli');
    client = await lab.host('client');
    server = await lab.host('server');
    await lab.link(client, server, { a: [`${CLIENT}/24`], b: [`${SERVER}/24`] });
    for (const h of [client, server]) await installTransparentProxy(parseTransparentProxyConfig({}), { netns: h.netns });
    // A small HTTP app on the server: answers with the address it saw.
    const app = server.spawn(process.execPath, [
      '-e',
      `require('http').createServer((q,s)=>s.end(JSON.stringify({from:q.socket.remoteAddress}))).listen(5000,()=>console.log('listening'))`,
    ]);
    await app.waitForLine(/listening/);
    // The backend's file is readable by root only: the proxy user gets its text from the parent.
    serverDp = server.spawn(process.execPath, [...dpProcess, 'dp', '--dataplane-file', file('backend.yaml', backend, 0o600)]);
    // The client's from the build (what `meshcap dp` runs once built): a bundled root parent installs its own file.
    built = await buildDataplane();
    clientDp = client.spawn(process.execPath, [built, 'dp', '--dataplane-file', file('web.yaml', dataplaneYaml({ name: 'web', address: CLIENT, transparentProxying: {} }))]);
    await Promise.all([serverDp.waitForLine(/^meshcap dp: ready$/, 30_000), clientDp.waitForLine(/^meshcap dp: ready$/, 30_000)]);
  }, 150_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  it('runs itself as the proxy user with only the network capabilities', async () => {
    expect(serverDp.lines).toContain('meshcap dp: started as root; running as the proxy user 5678:5678 with CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE');
    expect(serverDp.lines.some((l) => /^meshcap dp: dataplane default\/backend, transparent \(inbound redirect, outbound redirect\), UID 5678$/.test(l))).toBe(true);
    const info = JSON.parse((await server.run('curl', ['-sS', 'http://127.0.0.1:9901/server_info'], IN_HOST)).stdout);
    expect(info).toMatchObject({ uid: 5678, state: 'LIVE', node: { id: 'default.backend' } });
  });

  it('from the build too: the compiled root parent installs its own file as the proxy user\'s runtime', () => {
    const runtime = /^meshcap dp: proxy-user runtime (\S+)/.exec(clientDp.lines.find((l) => l.startsWith('meshcap dp: proxy-user runtime')) ?? '')?.[1];
    expect(runtime).toBeDefined();
    expect(readFileSync(`${runtime}/dist/dp.mjs`).equals(readFileSync(built))).toBe(true);
    expect(clientDp.lines.some((l) => /^meshcap dp: dataplane default\/web, transparent .*, UID 5678$/.test(l))).toBe(true);
  });

  it('just works: a captured request goes out through 15001 and in through 15006 with no loop', async () => {
    const r = await client.run('curl', ['-sS', '--max-time', '10', `http://${SERVER}:5000/`], IN_HOST);
    expect(JSON.parse(r.stdout)).toEqual({ from: '::ffff:127.0.0.6' });
    const stats = (await client.run('curl', ['-sS', 'http://127.0.0.1:9901/stats?filter=outbound_passthrough_ipv4'], IN_HOST)).stdout;
    expect(stats).toContain('listener.outbound_passthrough_ipv4.downstream_cx_total: 1\n');
    expect(stats).toContain('listener.outbound_passthrough_ipv4.downstream_cx_redirect_loop: 0\n');
    const inbound = (await server.run('curl', ['-sS', 'http://127.0.0.1:9901/stats?filter=http.localhost_5000.downstream_rq_2xx'], IN_HOST)).stdout;
    expect(inbound).toBe('http.localhost_5000.downstream_rq_2xx: 1\n');
  });

  it('leaves no proxy-user process behind when the root process is killed outright', async () => {
    // The client's dataplane runs as UID 5678 in that namespace (pid and command line per line).
    const proxyUserPids = async () =>
      (await client.run('sh', ['-c', `for p in $(ip netns pids ${client.netns}); do [ "$(stat -c %u /proc/$p)" = 5678 ] && echo "$p $(tr "\\0" " " < /proc/$p/cmdline | head -c 150)"; done; true`], IN_HOST)).stdout.split('\n').filter(Boolean);
    expect((await proxyUserPids()).some((p) => p.includes(' dp --dataplane-file '))).toBe(true);
    clientDp.child.kill('SIGKILL');
    await clientDp.exited;
    for (let i = 0; i < 100 && (await proxyUserPids()).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await proxyUserPids()).toEqual([]);
  });

  it('serves /config_dump standalone (no control plane): the config of the Dataplane file, in Envoy\'s format', async () => {
    const r = await server.run('curl', ['-sS', '-w', '\n%{http_code}', 'http://127.0.0.1:9901/config_dump'], IN_HOST);
    const [body, status] = [r.stdout.slice(0, r.stdout.lastIndexOf('\n')), r.stdout.slice(r.stdout.lastIndexOf('\n') + 1)];
    expect(status, body).toBe('200');
    type Listener = { active_state?: { listener?: { address?: { socket_address?: { port_value?: number } } } } };
    const dump = JSON.parse(body) as { configs: Array<{ '@type': string; dynamic_listeners?: Listener[] }> };
    const listeners = dump.configs.find((c) => c['@type'] === 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump');
    expect(listeners?.dynamic_listeners?.map((l) => l.active_state?.listener?.address?.socket_address?.port_value)).toEqual(expect.arrayContaining([15006, 15001]));
  });

  it('drains and exits 0 on SIGTERM (the signal reaches the proxy-user process)', async () => {
    serverDp.child.kill('SIGTERM');
    expect(await serverDp.exited).toMatchObject({ code: 0 });
    expect(serverDp.lines).toContain('meshcap dp: stopped');
    // With the proxy down, captured connections are refused (fail closed), not sent around it.
    const r = await client.run('curl', ['-sS', '--max-time', '5', '-o', '/dev/null', '-w', '%{http_code}', `http://${SERVER}:5000/`], IN_HOST);
    expect(r.stdout).toBe('000');
  });
});
