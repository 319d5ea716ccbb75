import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeNetns, Lab, type Host } from '@meshcap/testkit';
import { MeshcapError } from '../errors.ts';
import {
  buildRules,
  installTransparentProxy,
  parseTransparentProxyConfig,
  renderIptablesSave,
  resolveTransparentProxyConfig,
  uninstallTransparentProxy,
  type TransparentProxyConfigInput,
} from './index.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));

/** iptables-save text as a map table -> body, without `#` lines and with counters zeroed. */
function tables(save: string): Map<string, string> {
  const out = new Map<string, string>();
  let name = '';
  let body: string[] = [];
  for (const line of save.split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    if (line.startsWith('*')) {
      name = line.slice(1);
      body = [];
    } else if (line === 'COMMIT') {
      out.set(name, body.join('\n'));
    } else {
      body.push(line.replace(/\[\d+:\d+\]/, '[0:0]'));
    }
  }
  return out;
}

const config = (input: TransparentProxyConfigInput) =>
  resolveTransparentProxyConfig(parseTransparentProxyConfig({ resolvConfPath: fixture('resolv.conf'), ...input }));

/** Everything the install may change in a namespace, as text. */
async function snapshot(host: Host, flavour: 'nft' | 'legacy') {
  const run = async (file: string, args: string[] = []) => (await host.run(file, args)).stdout;
  return {
    ipv4: [...tables(await run(`iptables-${flavour}-save`))].map(([t, b]) => `*${t}\n${b}`).join('\n'),
    ipv6: [...tables(await run(`ip6tables-${flavour}-save`))].map(([t, b]) => `*${t}\n${b}`).join('\n'),
    nft: await run('nft', ['list', 'ruleset']),
    rules4: await run('ip', ['-4', 'rule']),
    rules6: await run('ip', ['-6', 'rule']),
    routes4: await run('ip', ['-4', 'route', 'show', 'table', 'all']),
    routes6: await run('ip', ['-6', 'route', 'show', 'table', 'all']),
  };
}

/** Foreign rules in every table and built-in chain the install uses, and a foreign chain. */
async function addForeignRules(host: Host, flavour: 'nft' | 'legacy'): Promise<void> {
  for (const [ipt, addr] of [
    [`iptables-${flavour}`, '198.18.99.1'],
    [`ip6tables-${flavour}`, '2001:2:0:99::1'],
  ] as const) {
    await host.sh(`
      ${ipt} -t nat -A OUTPUT -d ${addr} -p tcp --dport 9 -j RETURN
      ${ipt} -t nat -A PREROUTING -s ${addr} -j RETURN
      ${ipt} -t nat -N FOREIGN_CHAIN
      ${ipt} -t nat -A FOREIGN_CHAIN -p udp -j RETURN
      ${ipt} -t mangle -A PREROUTING -s ${addr} -j MARK --set-mark 0x7
      ${ipt} -t mangle -A OUTPUT -d ${addr} -j RETURN
      ${ipt} -t raw -A OUTPUT -d ${addr} -j RETURN
      ${ipt} -t raw -A PREROUTING -s ${addr} -j RETURN
    `);
  }
  await host.sh('ip rule add fwmark 0x9 lookup 99 && ip route add local 198.18.99.0/24 dev lo table 99');
}

const everyOption: TransparentProxyConfigInput = {
  inboundMode: 'tproxy',
  redirectDns: true,
  excludeInboundPorts: [22],
  excludeOutboundPorts: [5432],
  excludeInboundIps: ['198.18.5.0/24', '2001:2:0:5::/64'],
  excludeOutboundIps: ['198.18.6.7', '2001:2:0:6::7'],
  excludeOutboundPortsForUids: ['tcp:22,1000-2000:1000-1010', '0'],
  excludeOutboundMark: 0x4d43,
  iptablesLogs: true,
};

describeNetns('capture: install and uninstall with iptables', () => {
  let lab: Lab;
  beforeAll(() => {
    lab = Lab.create('capinst');
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  for (const flavour of ['nft', 'legacy'] as const) {
    describe(`iptables-${flavour}`, () => {
      it('installs exactly the rules of the dry run, as iptables-save prints them', async () => {
        const host = await lab.host(`exact${flavour}`);
        for (const input of [{}, everyOption]) {
          const cfg = config({ ...input, iptablesMode: flavour });
          const result = await installTransparentProxy(cfg, { netns: host.netns });
          expect(result.flavour).toBe(flavour);
          for (const family of buildRules(cfg).families) {
            const live = tables((await host.run(`${family.family === 'ipv4' ? 'iptables' : 'ip6tables'}-${flavour}-save`, [])).stdout);
            for (const [table, body] of tables(renderIptablesSave(family))) expect(live.get(table)).toBe(body);
          }
        }
      });

      it('installing twice gives the same rules once', async () => {
        const host = await lab.host(`twice${flavour}`);
        await addForeignRules(host, flavour);
        const cfg = config({ ...everyOption, iptablesMode: flavour });
        await installTransparentProxy(cfg, { netns: host.netns });
        const once = await snapshot(host, flavour);
        await installTransparentProxy(cfg, { netns: host.netns });
        expect(await snapshot(host, flavour)).toEqual(once);
        expect(once.ipv4.match(/meshcap\//g)?.length).toBe(buildRules(cfg).families[0]!.rules.length);
        expect(once.rules4.match(/lookup 133 proto 77/g)).toHaveLength(1);
      });

      it('uninstall restores the state before install, foreign rules, ip rules and routes untouched', async () => {
        const host = await lab.host(`undo${flavour}`);
        await addForeignRules(host, flavour);
        const before = await snapshot(host, flavour);
        await installTransparentProxy(config({ ...everyOption, iptablesMode: flavour }), { netns: host.netns });
        const installed = await snapshot(host, flavour);
        // Ours around the foreign rules: inserts before them, appends after.
        const nat = tables((await host.run(`iptables-${flavour}-save`, ['-t', 'nat'])).stdout).get('nat')!;
        const output = nat.split('\n').filter((l) => l.startsWith('-A OUTPUT '));
        expect(output.findIndex((l) => l.includes('198.18.99.1'))).toBeGreaterThan(output.findIndex((l) => l.includes('meshcap/do not capture tcp')));
        expect(output.at(-1)).toContain('-j KUMA_MESH_OUTBOUND');
        expect(installed.rules4).toContain('fwmark 0x539 lookup 133 proto 77');
        expect(installed.routes6).toContain('local default dev lo table 133 proto 77');
        expect(installed.ipv6).toContain('-A FOREIGN_CHAIN -p udp -j RETURN');

        const removed = await uninstallTransparentProxy(undefined, { netns: host.netns });
        expect(removed.conflicts).toEqual([]);
        expect(removed.text).toContain(`(iptables-${flavour}) ###`);
        expect(await snapshot(host, flavour)).toEqual(before);
        // Nothing left: a second uninstall finds nothing.
        expect((await uninstallTransparentProxy(undefined, { netns: host.netns })).text).toBe('');
      });
    });
  }

  it('auto mode picks the iptables flavour that already holds rules, and validates with --test before applying', async () => {
    const host = await lab.host('auto');
    await host.sh('iptables-legacy -t filter -A INPUT -s 198.18.99.1 -j RETURN');
    const log: string[] = [];
    const result = await installTransparentProxy(config({ ipFamilyMode: 'ipv4' }), { netns: host.netns, log: (l) => log.push(l) });
    expect(result.flavour).toBe('legacy');
    expect((await host.run('iptables-legacy-save', ['-t', 'nat'])).stdout).toContain('meshcap/');
    expect((await host.run('iptables-nft-save', ['-t', 'nat'])).stdout).not.toContain('meshcap/');
    const restores = log.filter((l) => /iptables-legacy-restore --noflush/.test(l));
    expect(restores.map((l) => l.includes(' --test'))).toEqual([true, false]);
    await uninstallTransparentProxy(undefined, { netns: host.netns });
  });

  it('retries while another process holds the xtables lock (legacy)', async () => {
    const host = await lab.host('lock');
    const lockFile = join(mkdtempSync(join(tmpdir(), 'meshcap-lock-')), 'xtables.lock');
    writeFileSync(lockFile, '');
    const holder = host.spawn('flock', [lockFile, '-c', 'echo locked; sleep 3']);
    await holder.waitForLine(/locked/);
    const log: string[] = [];
    const started = Date.now();
    await installTransparentProxy(config({ iptablesMode: 'legacy', wait: 1, maxRetries: 20, sleepBetweenRetries: 0.25 }), {
      netns: host.netns,
      env: { ...process.env, XTABLES_LOCKFILE: lockFile },
      log: (l) => log.push(l),
    });
    expect(log.some((l) => /^retry \d+\/20 .*(xtables lock|temporarily unavailable)/i.test(l))).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect((await host.run('iptables-legacy-save', ['-t', 'nat'])).stdout).toContain('meshcap/');
    await holder.exited;
  });

  it('refuses to install over chains another transparent proxy owns, changing nothing', async () => {
    const host = await lab.host('conflict');
    await host.sh('iptables-nft -t nat -N KUMA_MESH_OUTBOUND && iptables-nft -t nat -A KUMA_MESH_OUTBOUND -j RETURN');
    const before = await snapshot(host, 'nft');
    const err = await installTransparentProxy(config({ iptablesMode: 'nft' }), { netns: host.netns }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeshcapError);
    expect((err as MeshcapError).code).toBe('MESHCAP_ERR_CONFLICT');
    expect((err as MeshcapError).message).toContain('nat chain KUMA_MESH_OUTBOUND holds rules meshcap did not install: -A KUMA_MESH_OUTBOUND -j RETURN');
    expect(await snapshot(host, 'nft')).toEqual(before);
    // Uninstall leaves the foreign chain alone too.
    const removed = await uninstallTransparentProxy(undefined, { netns: host.netns });
    expect(removed.conflicts.join()).toContain('KUMA_MESH_OUTBOUND');
    expect(await snapshot(host, 'nft')).toEqual(before);
  });

  it('bad input (unknown user) fails before anything is applied', async () => {
    const host = await lab.host('badinput');
    const before = await snapshot(host, 'nft');
    const err = await installTransparentProxy(parseTransparentProxyConfig({ kumaDpUser: 'no-such-user-here' }), { netns: host.netns }).catch((e: unknown) => e);
    expect((err as MeshcapError).message).toMatch(/^--kuma-dp-user: "no-such-user-here" is not a UID nor a user/);
    expect(await snapshot(host, 'nft')).toEqual(before);
  });
});

describeNetns('capture: install and uninstall with nftables', () => {
  let lab: Lab;
  beforeAll(() => {
    lab = Lab.create('capnft');
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('applies one table per family atomically; twice = once; uninstall deletes exactly it', async () => {
    const host = await lab.host('nft');
    await addForeignRules(host, 'nft');
    await host.sh('nft add table inet foreign && nft add chain inet foreign c "{ type filter hook output priority 10; }" && nft add rule inet foreign c counter');
    const before = await snapshot(host, 'nft');
    const cfg = config({ ...everyOption, backend: 'nftables' });
    await installTransparentProxy(cfg, { netns: host.netns });
    const once = await snapshot(host, 'nft');
    expect(once.nft).toContain('table ip meshcap {');
    expect(once.nft).toContain('table ip6 meshcap {');
    expect(once.nft).toContain('tproxy to :15006 meta mark set 0x00000539 accept comment "meshcap/hand new connections to the transparent listener on 15006"');
    expect(once.rules6).toContain('fwmark 0x539 lookup 133 proto 77');
    // The iptables rule sets are not touched by the nftables backend.
    expect(once.ipv4).toBe(before.ipv4);
    await installTransparentProxy(cfg, { netns: host.netns });
    expect(await snapshot(host, 'nft')).toEqual(once);
    const json = JSON.parse((await host.run('nft', ['-j', 'list', 'table', 'ip', 'meshcap'])).stdout) as { nftables: Array<Record<string, { comment?: string }>> };
    const rules = json.nftables.filter((o) => 'rule' in o).map((o) => o.rule!);
    expect(rules.length).toBeGreaterThan(20);
    expect(rules.every((r) => r.comment?.startsWith('meshcap/'))).toBe(true);

    await uninstallTransparentProxy(undefined, { netns: host.netns });
    expect(await snapshot(host, 'nft')).toEqual(before);
  });

  it('switching backend replaces the iptables install, and back', async () => {
    const host = await lab.host('switch');
    const before = await snapshot(host, 'nft');
    await installTransparentProxy(config({ iptablesMode: 'nft' }), { netns: host.netns });
    await installTransparentProxy(config({ backend: 'nftables' }), { netns: host.netns });
    let now = await snapshot(host, 'nft');
    expect(now.ipv4).not.toContain('meshcap/');
    expect(now.nft).toContain('table ip meshcap');
    await installTransparentProxy(config({ iptablesMode: 'nft', ipFamilyMode: 'ipv4' }), { netns: host.netns });
    now = await snapshot(host, 'nft');
    expect(now.nft).not.toContain('meshcap');
    expect(now.ipv4).toContain('meshcap/');
    expect(now.ipv6).not.toContain('meshcap/');
    await uninstallTransparentProxy(undefined, { netns: host.netns });
    // iptables-nft leaves the (empty) nat tables it created in this fresh namespace; nothing of ours stays.
    const after = await snapshot(host, 'nft');
    expect(`${after.nft}${after.ipv4}${after.ipv6}`).not.toContain('meshcap');
    expect(after.rules4).toBe(before.rules4);
    expect(after.routes6).toBe(before.routes6);
  });
});
