import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.ts';

const BIN = fileURLToPath(new URL('../../../bin/meshcap.js', import.meta.url));

interface CpProcess {
  child: ChildProcess;
  lines: string[];
  url: string;
  stop(): Promise<number | null>;
}

/** Starts `meshcap cp` as a real process and waits for its banner (bounded). */
async function startCp(dataDir: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<CpProcess> {
  const child = spawn(process.execPath, [BIN, 'cp', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--socket', join(dataDir, 'cp.sock'), '--no-gui', ...extra], {
    env: { ...process.env, MESHCAP_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`meshcap cp did not start: ${lines.join('\n')}\n${stderr}`)), 30_000);
    let partial = '';
    child.stdout!.on('data', (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (line === 'meshcap cp: ready') {
          clearTimeout(timer);
          resolve(/API\s+(http:\/\/\S+)/.exec(lines.join('\n'))![1]!);
        }
      }
    });
    void exited.then((code) => reject(new Error(`meshcap cp exited (${code}): ${lines.join('\n')}\n${stderr}`)));
  });
  return {
    child,
    lines,
    url,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) }, out, err, text: () => out.join('\n') };
}

describe('meshcap cp, apply, inspect, generate (real control plane process)', () => {
  let dir: string;
  let cp: CpProcess;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshcap-cli-'));
    cp = await startCp(dir);
  });
  afterAll(async () => {
    await cp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints where it listens and the admin token once, at first start', () => {
    const banner = cp.lines.join('\n');
    expect(banner).toContain(`dataplanes  --cp unix:${join(dir, 'cp.sock')}`);
    expect(banner).toContain('store      SQLite');
    expect(banner).toMatch(/admin token \(shown once; kept in .*admin-token, mode 0600\):\n {2}mcadm_/);
  });

  it('applies files (all or nothing) and shows problems with file, line and field path', async () => {
    const good = join(dir, 'mesh.yaml');
    writeFileSync(good, 'type: Dataplane\nname: web\nnetworking:\n  address: 198.18.0.10\n  inbound:\n    - port: 8080\n      tags: { kuma.io/service: web }\n---\ntype: MeshTimeout\nname: t\nspec:\n  targetRef: { kind: Mesh }\n  from:\n    - targetRef: { kind: Mesh }\n      default: { idleTimeout: 30s }\n');
    const c = capture();
    expect(await main(['apply', '-f', good, '--cp', cp.url, '--data-dir', dir], c.io)).toBe(0);
    expect(c.text()).toMatch(/TYPE\s+MESH\s+NAME\s+RESULT\s+VERSION\nDataplane\s+default\s+web\s+created\s+1\nMeshTimeout\s+default\s+t\s+created\s+1/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'type: Dataplane\nname: api\nnetworking:\n  address: 198.18.0.11\n  inbound:\n    - port: seventy\n      tags: { kuma.io/service: api }\n');
    const e = capture();
    expect(await main(['apply', '-f', bad, '--cp', cp.url, '--data-dir', dir], e.io)).toBe(1);
    expect(e.err.join('\n')).toContain(`${bad}:6:`);
    expect(e.err.join('\n')).toContain('networking.inbound[0].port');
    const json = capture();
    expect(await main(['apply', '-f', good, '--cp', cp.url, '--data-dir', dir, '-o', 'json'], json.io)).toBe(0);
    expect(JSON.parse(json.text()).changes.map((x: { action: string }) => x.action)).toEqual(['unchanged', 'unchanged']);
    const dry = capture();
    expect(await main(['apply', '-f', bad, '--dry-run'], dry.io)).toBe(1);
    expect(dry.err.join('\n')).toContain('networking.inbound[0].port');
  });

  it('needs the token for changes', async () => {
    const c = capture();
    expect(await main(['apply', '-f', join(dir, 'mesh.yaml'), '--cp', cp.url, '--data-dir', join(dir, 'elsewhere')], c.io)).toBe(1);
    expect(c.err.join('\n')).toContain('MESHCAP_ERR_UNAUTHORIZED');
  });

  it('lists dataplanes as a table, JSON or YAML, over TCP or the Unix socket', async () => {
    const c = capture();
    expect(await main(['inspect', 'dataplanes', '--cp', cp.url], c.io)).toBe(0);
    expect(c.text()).toMatch(/MESH\s+NAME\s+TAGS\s+STATUS\s+LAST SEEN\s+CONFIG VERSION\s+CAPTURE\s+UPDATES\s+ERRORS\ndefault\s+web\s+kuma.io\/service=web\s+Offline\s+never\s+- \(latest 1-[0-9a-f]{12}\)\s+explicit\s+0\s+0/);
    const y = capture();
    expect(await main(['inspect', 'dataplanes', '--cp', `unix:${join(dir, 'cp.sock')}`, '-o', 'yaml'], y.io)).toBe(0);
    expect(y.text()).toContain('name: web');
  });

  it('shows one dataplane: policies, config dump; rules and stats need it connected', async () => {
    const p = capture();
    expect(await main(['inspect', 'dataplane', 'web', '--type', 'policies', '--cp', cp.url], p.io)).toBe(0);
    expect(p.text()).toMatch(/MeshTimeout\s+t\s+Mesh\s+yes\s+inbound:198.18.0.10:8080/);
    expect(p.text()).toContain('MeshTimeout: {"idleTimeout":"30s"}');
    const d = capture();
    expect(await main(['inspect', 'dataplane', 'web', '--type', 'config-dump', '--resource', 'dynamic_listeners', '--cp', cp.url], d.io)).toBe(0);
    expect(JSON.parse(d.text()).configs[0]['@type']).toContain('ListenersConfigDump.DynamicListener');
    const r = capture();
    expect(await main(['inspect', 'dataplane', 'web', '--type', 'rules', '--cp', cp.url], r.io)).toBe(1);
    expect(r.err.join('\n')).toContain('MESHCAP_ERR_DATAPLANE_UNAVAILABLE');
    const bad = capture();
    expect(await main(['inspect', 'dataplane', 'web', '--type', 'everything', '--cp', cp.url], bad.io)).toBe(2);
    expect(bad.err[0]).toContain('--type: "everything"');
  });

  it('issues a dataplane token that only it can use', async () => {
    const c = capture();
    expect(await main(['generate', 'dataplane-token', '--name', 'web', '--cp', cp.url, '--data-dir', dir], c.io)).toBe(0);
    expect(c.out).toEqual([expect.stringMatching(/^mcdp_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/)]);
    const u = capture();
    expect(await main(['generate', 'dataplane-token', '--cp', cp.url], u.io)).toBe(2);
  });

  it('prints a bootstrap for a proxyless gRPC client (or Envoy) of a dataplane, with its token', async () => {
    const tokenFile = join(dir, 'web.token');
    const t = capture();
    expect(await main(['generate', 'dataplane-token', '--name', 'web', '--cp', cp.url, '--data-dir', dir], t.io)).toBe(0);
    writeFileSync(tokenFile, `${t.out[0]}\n`);
    const g = capture();
    expect(await main(['generate', 'bootstrap', '--dataplane', 'web', '--xds-address', `unix:${join(dir, 'cp.sock')}`, '--token-file', tokenFile], g.io)).toBe(0);
    expect(JSON.parse(g.text())).toEqual({
      xds_servers: [{ server_uri: `unix:${join(dir, 'cp.sock')}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      node: { id: 'default.web', locality: {}, metadata: { 'dataplane.proxyType': 'proxyless', 'dataplane.token': t.out[0] } },
    });
    const e = capture();
    expect(await main(['generate', 'bootstrap', '--dataplane', 'web', '--mesh', 'prod', '--format', 'envoy', '--token-file', tokenFile], e.io)).toBe(0);
    const envoy = JSON.parse(e.text());
    expect(envoy.node.id).toBe('prod.web');
    expect(envoy.dynamic_resources.ads_config.grpc_services[0].initial_metadata).toEqual([{ key: 'authorization', value: t.out[0] }]);
    expect(envoy.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address).toEqual({ socket_address: { address: '127.0.0.1', port_value: 5678 } });
    const bad = capture();
    expect(await main(['generate', 'bootstrap', '--format', 'grpc'], bad.io)).toBe(2);
    expect(await main(['generate', 'bootstrap', '--dataplane', 'web', '--format', 'yaml'], bad.io)).toBe(2);
    expect(await main(['generate', 'bootstrap', '--dataplane', 'web', '--xds-address', '5678'], bad.io)).toBe(2);
    expect(await main(['generate', 'bootstrap', '--dataplane', 'web', '--token-file', join(dir, 'missing.token')], bad.io)).toBe(1);
    expect(bad.err.join('\n')).toMatch(/--dataplane is required[\s\S]*--format: "yaml"[\s\S]*--xds-address: "5678"[\s\S]*--token-file: cannot read/);
  });

  it('says when no control plane answers', async () => {
    const c = capture();
    expect(await main(['inspect', 'dataplanes', '--cp', 'http://127.0.0.1:1'], c.io)).toBe(1);
    expect(c.err.join('\n')).toContain('MESHCAP_ERR_CONTROL_PLANE_UNREACHABLE');
  });

  it('stops on SIGTERM and keeps everything for the next start (no new token printed)', async () => {
    expect(await cp.stop()).toBe(0);
    cp = await startCp(dir);
    expect(cp.lines.join('\n')).not.toContain('shown once');
    expect(cp.lines.join('\n')).toContain(`admin token from ${join(dir, 'admin-token')}`);
    const c = capture();
    expect(await main(['inspect', 'dataplanes', '--cp', cp.url, '-o', 'json'], c.io)).toBe(0);
    expect(JSON.parse(c.text()).items.map((d: { name: string }) => d.name)).toEqual(['web']);
  });

  it('refuses bad flags with the flag named', async () => {
    const c = capture();
    const fresh = join(dir, 'never-created');
    expect(await main(['cp', '--listen', 'nowhere', '--data-dir', fresh], c.io)).toBe(2);
    expect(c.err[0]).toContain('--listen: "nowhere"');
    expect(await main(['cp', '--log-level', 'loud', '--data-dir', fresh], c.io)).toBe(2);
    expect(await main(['cp', '--store', 'mysql://x', '--data-dir', fresh], c.io)).toBe(2);
    expect(c.err.join('\n')).toContain('--store: "mysql://x"');
    // Nothing was written for a command line that was refused.
    expect(existsSync(fresh)).toBe(false);
  });
});
