import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { installTransparentProxy, parseTransparentProxyConfig } from '@meshcap/core';
import { describeNetns, Lab, privateCheckout, type Host, type HostProcess, type PrivateCheckout } from '@meshcap/testkit';

/** Commands in a test host (testkit's `host.run`, 20 s bound): the result even when the command fails. */
const IN_HOST = { allowFail: true } as const;

// Issue 20: `git clone … && cd meshcap && npm run demo` as root in /root (0700). The proxy-user
// child of a root `meshcap dp` must run without reading the checkout: it runs from the runtime
// directory root installs (dp-runtime.ts), not from the clone.
const repo = fileURLToPath(new URL('../../../../../', import.meta.url));

describeNetns('meshcap dp as root from a checkout in a 0700 home (issue 20)', () => {
  let lab: Lab;
  let host: Host;
  let dp: HostProcess;
  let runtimeRoot: string;
  let checkout: PrivateCheckout;

  beforeAll(async () => {
    checkout = privateCheckout(repo);
    runtimeRoot = mkdtempSync(join(tmpdir(), 'meshcap-runtime-'));
    chmodSync(runtimeRoot, 0o755);
    const file = join(checkout.dir, 'dp.yaml');
    writeFileSync(file, 'type: Dataplane\nname: web\nnetworking:\n  address: 198.18.6.1\n  transparentProxying: {}\n', { mode: 0o600 });

    lab = Lab.create('dp-home');
    host = await lab.host('web');
    await installTransparentProxy(parseTransparentProxyConfig({}), { netns: host.netns });
    dp = host.spawn(process.execPath, [join(checkout.dir, 'apps/api/bin/meshcap.js'), 'dp', '--dataplane-file', file, '--runtime-dir', join(runtimeRoot, 'rt')], { cwd: checkout.dir });
    await dp.waitForLine(/^meshcap dp: ready$/, 30_000);
  }, 90_000);

  afterAll(async () => {
    await lab?.destroy();
    checkout?.remove();
    if (runtimeRoot) rmSync(runtimeRoot, { recursive: true, force: true });
  });

  it('the proxy-user child (UID 5678) runs from the root-owned runtime directory and answers on 9901', async () => {
    expect(statSync(checkout.home).mode & 0o777).toBe(0o700);
    expect(dp.lines.some((l) => l.startsWith(`meshcap dp: proxy-user runtime ${join(runtimeRoot, 'rt')}/`))).toBe(true);
    expect(dp.lines).toContain('meshcap dp: dataplane default/web, transparent (inbound redirect, outbound redirect), UID 5678');
    expect((await host.run('curl', ['-sS', 'http://127.0.0.1:9901/ready'], IN_HOST)).stdout.trim()).toBe('LIVE');
    const info = JSON.parse((await host.run('curl', ['-sS', 'http://127.0.0.1:9901/server_info'], IN_HOST)).stdout);
    expect(info).toMatchObject({ uid: 5678, state: 'LIVE', node: { id: 'default.web' } });
    // The installed runtime: root-owned, 0755 dirs and 0644 files, the bundle and the addon only.
    const [hash] = readdirSync(join(runtimeRoot, 'rt'));
    const dir = join(runtimeRoot, 'rt', hash!);
    expect(hash).toMatch(/^[0-9a-f]{12}$/);
    for (const [p, mode] of [[dir, 0o755], [join(dir, 'dist'), 0o755], [join(dir, 'dist/dp.mjs'), 0o644], [join(dir, 'build/Release/meshcap_native.node'), 0o644]] as const) {
      const st = statSync(p);
      expect({ p, uid: st.uid, mode: st.mode & 0o777 }).toEqual({ p, uid: 0, mode });
    }
  });

  it('stops on SIGTERM', async () => {
    dp.child.kill('SIGTERM');
    expect(await dp.exited).toMatchObject({ code: 0 });
  });
});
