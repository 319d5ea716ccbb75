import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isMeshcapError } from '../../errors.ts';
import { parseIptablesSave, parseNftHandles, parseNftJson, type Rule, type Ruleset } from './index.ts';

// Fixtures are real tool output: __fixtures__/capture-fixtures.sh loads the *.rules / *.nft inputs
// into throwaway namespaces and saves what iptables-{nft,legacy}-save -c and nft -j print.
const fixture = (name: string): string => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');

function rule(rs: Ruleset, table: string, chain: string, index: number): Rule {
  const found = rs.tables.find((t) => t.name === table)?.chains.find((c) => c.name === chain)?.rules[index - 1];
  if (!found) throw new Error(`no rule ${table} ${chain} #${index}`);
  return found;
}

describe('parseIptablesSave on real iptables-save -c output', () => {
  const nft = parseIptablesSave(fixture('nft-v4-mixed.save'), { origin: 'nft-v4-mixed.save' });
  const legacy = parseIptablesSave(fixture('legacy-v4-mixed.save'), { origin: 'legacy-v4-mixed.save' });

  it('reads tables, chains with policies and counters, and the flavour from the header', () => {
    expect(nft.tables.map((t) => t.name).sort()).toEqual(['filter', 'mangle', 'nat', 'raw']);
    expect(nft.tables.every((t) => t.family === 'ip' && t.backend === 'iptables' && t.flavour === 'nft')).toBe(true);
    expect(legacy.tables.every((t) => t.flavour === 'legacy')).toBe(true);
    const filter = nft.tables.find((t) => t.name === 'filter')!;
    const forward = filter.chains.find((c) => c.name === 'FORWARD')!;
    expect(forward).toMatchObject({ policy: 'DROP', base: { hook: 'FORWARD', priority: 0, type: 'filter' }, counters: { packets: 0, bytes: 0 } });
    const foreign = filter.chains.find((c) => c.name === 'FOREIGN')!;
    expect(foreign.base).toBeUndefined();
    expect(foreign.policy).toBeUndefined();
    const natOutput = nft.tables.find((t) => t.name === 'nat')!.chains.find((c) => c.name === 'OUTPUT')!;
    expect(natOutput.base).toEqual({ hook: 'OUTPUT', priority: -100, type: 'nat' });
    // Loopback pings ran through the namespace: the filter INPUT -i lo rule counted them.
    expect(rule(nft, 'filter', 'INPUT', 1).counters!.packets).toBeGreaterThan(0);
    expect(rule(nft, 'filter', 'INPUT', 1).counters!.bytes).toBeGreaterThan(0);
  });

  it('parses Kuma-style nat rules into typed matches and targets', () => {
    expect(rule(nft, 'nat', 'KUMA_MESH_OUTBOUND', 2)).toMatchObject({
      table: 'nat',
      chain: 'KUMA_MESH_OUTBOUND',
      index: 2,
      text: '-A KUMA_MESH_OUTBOUND ! -d 127.0.0.1/32 -o lo -m owner --uid-owner 5678 -j KUMA_MESH_INBOUND_REDIRECT',
      matches: [
        { kind: 'address', field: 'destination', negated: true, cidrs: [{ family: 'ipv4', address: '127.0.0.1', prefixLength: 32 }] },
        { kind: 'interface', field: 'out', negated: false, name: 'lo', wildcard: false },
        { kind: 'owner', uid: { negated: false, ranges: [{ from: 5678, to: 5678 }] } },
      ],
      actions: [{ kind: 'jump', chain: 'KUMA_MESH_INBOUND_REDIRECT' }],
      ours: false,
    });
    expect(rule(nft, 'nat', 'KUMA_MESH_OUTBOUND', 3).matches[1]).toEqual({ kind: 'owner', uid: { negated: true, ranges: [{ from: 5678, to: 5678 }] }, supplementaryGroups: false });
    expect(rule(nft, 'nat', 'KUMA_MESH_OUTBOUND', 6).matches).toContainEqual({
      kind: 'owner',
      uid: { negated: false, ranges: [{ from: 1000, to: 2000 }] },
      gid: { negated: false, ranges: [{ from: 100, to: 100 }] },
      supplementaryGroups: false,
    });
    expect(rule(nft, 'nat', 'KUMA_MESH_INBOUND', 1).matches[1]).toEqual({
      kind: 'port',
      field: 'destination',
      negated: false,
      ranges: [{ from: 22, to: 22 }, { from: 9000, to: 9010 }],
      protocol: 'tcp',
    });
    expect(rule(nft, 'nat', 'KUMA_MESH_OUTBOUND_REDIRECT', 1).actions).toEqual([{ kind: 'redirect', ports: { from: 15001, to: 15001 } }]);
    expect(rule(nft, 'nat', 'FOREIGN_NAT', 1).actions).toEqual([{ kind: 'dnat', to: '198.18.0.9:8080' }]);
    expect(rule(nft, 'nat', 'POSTROUTING', 1).actions).toEqual([{ kind: 'masquerade' }]);
  });

  it('parses mangle/raw/filter matches and targets: conntrack, mark, socket, addrtype, tcp flags, TPROXY, CONNMARK, CT, LOG, REJECT', () => {
    expect(rule(nft, 'mangle', 'PREROUTING', 1).matches[1]).toEqual({ kind: 'conntrack', state: { negated: false, states: ['RELATED', 'ESTABLISHED'] } });
    expect(rule(nft, 'mangle', 'PREROUTING', 1).actions).toEqual([{ kind: 'connmark', op: 'restore', nfmask: 0xffffffff, ctmask: 0xffffffff }]);
    expect(rule(nft, 'mangle', 'PREROUTING', 2).matches[1]).toEqual({ kind: 'mark', negated: false, value: 1, mask: 1 });
    expect(rule(nft, 'mangle', 'PREROUTING', 3).matches[1]).toEqual({ kind: 'socket', options: ['transparent'] });
    // iptables-save prints `--set-mark 0x1` as the xmark form it is stored in.
    expect(rule(nft, 'mangle', 'PREROUTING', 3).actions).toEqual([{ kind: 'mark', change: { value: 1, mask: 0xffffffff } }]);
    expect(rule(nft, 'mangle', 'PREROUTING', 4).matches).toEqual([
      { kind: 'interface', field: 'in', negated: true, name: 'lo', wildcard: false },
      { kind: 'protocol', negated: false, protocol: 'tcp' },
      { kind: 'addrtype', destination: { negated: true, types: ['LOCAL'] } },
    ]);
    expect(rule(nft, 'mangle', 'PREROUTING', 5).matches[1]).toEqual({ kind: 'tcp-flags', negated: false, mask: ['FIN', 'SYN', 'RST', 'ACK'], set: ['SYN'] });
    expect(rule(nft, 'mangle', 'PREROUTING', 5).actions).toEqual([{ kind: 'log', prefix: 'meshcap syn: ', level: '6' }]);
    expect(rule(nft, 'mangle', 'MESHCAP_TPROXY', 1).actions).toEqual([{ kind: 'tproxy', port: 15006, address: '0.0.0.0', mark: { value: 1, mask: 1 } }]);
    expect(rule(nft, 'mangle', 'MESHCAP_TPROXY', 3)).toMatchObject({ matches: [{ kind: 'connmark', negated: false, value: 2, mask: 0xff }], actions: [{ kind: 'goto', chain: 'KUMA_GOTO' }] });
    expect(rule(nft, 'mangle', 'OUTPUT', 1)).toMatchObject({ matches: [{}, { kind: 'mark', negated: true, value: 0x10, mask: 0xffffffff }], actions: [{ kind: 'mark', change: { value: 0x10, mask: 0xff } }] });
    expect(rule(nft, 'raw', 'OUTPUT', 1).actions).toEqual([{ kind: 'ct', notrack: false, zone: 1, options: [] }]);
    expect(rule(nft, 'raw', 'PREROUTING', 2).actions).toEqual([{ kind: 'ct', notrack: true, options: [] }]);
    expect(rule(nft, 'filter', 'INPUT', 3).actions).toEqual([{ kind: 'reject', with: 'tcp-reset' }]);
    expect(rule(nft, 'filter', 'FOREIGN', 1).matches.slice(3)).toEqual([
      { kind: 'port', field: 'source', negated: false, ranges: [{ from: 1024, to: 65535 }], protocol: 'tcp' },
      { kind: 'port', field: 'destination', negated: true, ranges: [{ from: 80, to: 80 }], protocol: 'tcp' },
    ]);
  });

  it('keeps what it does not model as an unknown match with its text, and unquotes comments', () => {
    expect(rule(nft, 'filter', 'OUTPUT', 1).matches).toEqual([
      { kind: 'protocol', negated: false, protocol: 'icmp' },
      { kind: 'unknown', module: 'icmp', text: '-m icmp --icmp-type 8' },
    ]);
    expect(rule(nft, 'filter', 'OUTPUT', 2).comment).toBe('with "quotes" and spaces');
  });

  it('flags rules whose comment starts with the meshcap prefix as ours', () => {
    expect(rule(nft, 'nat', 'PREROUTING', 1)).toMatchObject({ comment: 'meshcap/test: inbound', ours: true });
    expect(rule(nft, 'raw', 'PREROUTING', 2)).toMatchObject({ comment: 'no track test', ours: false });
    const custom = parseIptablesSave(fixture('nft-v4-mixed.save'), { commentPrefix: 'no track' });
    expect(rule(custom, 'raw', 'PREROUTING', 2).ours).toBe(true);
    expect(rule(custom, 'nat', 'PREROUTING', 1).ours).toBe(false);
  });

  it('reads the same rules from the nf_tables and the legacy flavour', () => {
    const shape = (rs: Ruleset) =>
      Object.fromEntries(rs.tables.flatMap((t) => t.chains.flatMap((c) => c.rules.map((r) => [`${t.name}/${c.name}/${r.index}`, { text: r.text, matches: r.matches, actions: r.actions }]))));
    expect(shape(legacy)).toEqual(shape(nft));
    expect(Object.keys(shape(nft))).toHaveLength(40);
  });

  it('reads ip6tables-save output as family ip6, in both flavours', () => {
    for (const name of ['nft-v6-kuma.save', 'legacy-v6-kuma.save']) {
      const v6 = parseIptablesSave(fixture(name));
      expect(v6.tables.every((t) => t.family === 'ip6')).toBe(true);
      expect(rule(v6, 'nat', 'KUMA_MESH_OUTBOUND', 1).matches[0]).toEqual({ kind: 'address', field: 'source', negated: false, cidrs: [{ family: 'ipv6', address: '::6', prefixLength: 128, text: '::6/128' }] });
      expect(rule(v6, 'nat', 'KUMA_MESH_INBOUND', 2).matches[0]).toMatchObject({ cidrs: [{ address: '2001:2:0:9::', prefixLength: 64 }] });
      expect(rule(v6, 'mangle', 'PREROUTING', 2).actions).toEqual([{ kind: 'tproxy', port: 15006, address: '::', mark: { value: 1, mask: 1 } }]);
      expect(rule(v6, 'mangle', 'PREROUTING', 3).matches[1]).toEqual({ kind: 'port', field: 'either', negated: true, ranges: [{ from: 53, to: 53 }, { from: 5353, to: 5353 }], protocol: 'udp' });
      expect(rule(v6, 'filter', 'INPUT', 1).matches[0]).toEqual({ kind: 'protocol', negated: false, protocol: 'ipv6-icmp' });
    }
  });

  it("reads meshcap's own dry-run text (### IPv4 ### / ### IPv6 ### blocks, -I, undeclared built-in chains)", () => {
    const golden = new URL('../__golden__/', import.meta.url);
    const files = readdirSync(golden).filter((f) => f.endsWith('.iptables.txt'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const rs = parseIptablesSave(readFileSync(new URL(f, golden), 'utf8'), { origin: f });
      const rules = rs.tables.flatMap((t) => t.chains.flatMap((c) => c.rules));
      expect(rules.length).toBeGreaterThan(0);
      // Every rule meshcap installs carries the prefix, and every match and target is modelled.
      expect(rules.filter((r) => !r.ours).map((r) => r.text)).toEqual([]);
      expect(rules.filter((r) => r.matches.some((m) => m.kind === 'unknown') || r.actions.some((a) => a.kind === 'other')).map((r) => r.text)).toEqual([]);
      expect(new Set(rs.tables.map((t) => t.family))).toEqual(new Set(f.includes('ipv4') ? ['ip'] : ['ip', 'ip6']));
    }
  });

  it('puts -I rules at their position and numbers rules as the kernel does', () => {
    const rs = parseIptablesSave(['*nat', '-A OUTPUT -p tcp -j RETURN', '-I OUTPUT -p udp -j RETURN', '-I OUTPUT 2 -d 198.18.0.1 -j RETURN', 'COMMIT'].join('\n'));
    expect(rs.tables[0]!.chains[0]!.rules.map((r) => [r.index, r.text])).toEqual([
      [1, '-I OUTPUT -p udp -j RETURN'],
      [2, '-I OUTPUT 2 -d 198.18.0.1 -j RETURN'],
      [3, '-A OUTPUT -p tcp -j RETURN'],
    ]);
  });

  it('names the line of a text it cannot read', () => {
    const cases: Array<[string, RegExp]> = [
      ['*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -m comment --comment "open -j RETURN\nCOMMIT', /^f:3: unclosed quote/],
      ['*nat\n-A NOPE -j RETURN\nCOMMIT', /^f:2: rule for chain "NOPE", which table nat does not declare/],
      ['-A OUTPUT -j RETURN', /^f:1: .* is outside any \*table block/],
      ['*nat\n:OUTPUT ACCEPT [0:0]\nhello world\nCOMMIT', /^f:3: "hello world" is not a rule/],
      ['*nat\n:OUTPUT ACCEPT [0:0]', /^f:2: table "nat" \(line 1\) has no COMMIT/],
      ['*nat\n:OUTPUT MAYBE [0:0]\nCOMMIT', /^f:2: chain OUTPUT: policy "MAYBE"/],
    ];
    for (const [text, message] of cases) {
      let caught: unknown;
      try {
        parseIptablesSave(text, { origin: 'f' });
      } catch (err) {
        caught = err;
      }
      expect(isMeshcapError(caught), text).toBe(true);
      expect((caught as Error).message).toMatch(message);
      expect((caught as { code: string }).code).toBe('MESHCAP_ERR_RULESET_SYNTAX');
    }
  });

  it('infers the family of a header-less text from its addresses, or takes it from the caller', () => {
    expect(parseIptablesSave('*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -d ::1/128 -j RETURN\nCOMMIT').tables[0]!.family).toBe('ip6');
    expect(parseIptablesSave('*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j RETURN\nCOMMIT', { family: 'ip6' }).tables[0]!.family).toBe('ip6');
    expect(parseIptablesSave('*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j RETURN\nCOMMIT').tables[0]!.family).toBe('ip');
  });
});

describe('parseNftJson on real nft -j output', () => {
  const texts = parseNftHandles(fixture('nft-meshcap-table.txt'));
  const rs = parseNftJson(fixture('nft-meshcap-table.json'), { texts });
  const table = rs.tables[0]!;
  const chain = (name: string) => table.chains.find((c) => c.name === name)!;

  it('reads the table, base chains with hook/priority/type and regular chains', () => {
    expect(rs.tables).toHaveLength(1);
    expect(table).toMatchObject({ backend: 'nftables', family: 'inet', name: 'meshcap' });
    expect(chain('prerouting')).toMatchObject({ base: { hook: 'PREROUTING', priority: -100, type: 'nat' }, policy: 'ACCEPT' });
    expect(chain('mangle_pre')).toMatchObject({ base: { hook: 'PREROUTING', priority: -150, type: 'filter' } });
    expect(chain('outbound').base).toBeUndefined();
    expect(rs.sources[0]).toMatchObject({ kind: 'nft-json', generatedBy: expect.stringMatching(/^nft \d/) });
  });

  it('maps nft expressions to the same typed matches as iptables', () => {
    const out = chain('outbound').rules;
    expect(out[1]!.matches).toEqual([
      { kind: 'address', field: 'destination', negated: true, cidrs: [{ family: 'ipv4', address: '127.0.0.1', prefixLength: 32, text: '127.0.0.1/32' }] },
      { kind: 'interface', field: 'out', negated: false, name: 'lo', wildcard: false },
      { kind: 'owner', uid: { negated: false, ranges: [{ from: 5678, to: 5678 }] }, supplementaryGroups: false },
    ]);
    expect(out[1]!.actions).toEqual([{ kind: 'jump', chain: 'inbound' }]);
    expect(out[4]!.matches[0]).toEqual({ kind: 'owner', uid: { negated: false, ranges: [{ from: 1000, to: 2000 }] }, supplementaryGroups: false });
    expect(out[8]!.matches).toEqual([{ kind: 'mark', negated: false, value: 1, mask: 1 }]);
    expect(out[9]!.matches).toEqual([{ kind: 'conntrack', state: { negated: false, states: ['ESTABLISHED', 'RELATED'] } }]);
    expect(out[10]!.matches).toEqual([{ kind: 'addrtype', destination: { negated: false, types: ['LOCAL'] } }]);
    // nft drops the `meta l4proto tcp` that `tcp flags` implies.
    expect(out[11]!.matches).toEqual([{ kind: 'tcp-flags', negated: false, mask: ['SYN', 'ACK'], set: ['SYN'] }]);
    expect(out[11]!.actions).toEqual([{ kind: 'redirect', ports: { from: 15001, to: 15001 } }]);
    expect(chain('inbound').rules[0]!.matches).toEqual([{ kind: 'port', field: 'destination', negated: false, ranges: [{ from: 22, to: 22 }, { from: 9000, to: 9010 }], protocol: 'tcp' }]);
    expect(chain('output').rules[2]!).toMatchObject({ comment: 'meshcap: dns', actions: [{ kind: 'redirect', ports: { from: 15053, to: 15053 } }] });
    expect(chain('output').rules[2]!.matches[0]).toMatchObject({ kind: 'address', cidrs: [{ address: '198.18.0.53' }, { address: '198.18.0.54' }] });
  });

  it('maps statements: several per rule, marks, connmark save, tproxy', () => {
    const pre = chain('mangle_pre').rules;
    expect(pre[0]!.actions).toEqual([{ kind: 'mark', change: { value: 4, mask: 0xffffffff } }]);
    expect(pre[1]!.actions).toEqual([{ kind: 'connmark', op: 'save', nfmask: 0xffffffff, ctmask: 0xffffffff }]);
    expect(pre[2]!.actions).toEqual([{ kind: 'tproxy', port: 15006 }, { kind: 'mark', change: { value: 1, mask: 0xffffffff } }, { kind: 'accept' }]);
    expect(pre[3]!.matches).toEqual([
      { kind: 'interface', field: 'in', negated: false, name: 'eth0', wildcard: false },
      { kind: 'socket', options: ['transparent'] },
    ]);
    expect(pre[7]!.actions).toEqual([{ kind: 'log', prefix: 'meshcap: ' }, { kind: 'drop' }]);
  });

  it('keeps expressions without an equivalent as unknown matches with their JSON, and reads counters', () => {
    const pre = chain('mangle_pre').rules;
    expect(pre[5]!.matches.map((m) => m.kind)).toEqual(['unknown', 'unknown']);
    expect(pre[5]!.matches[0]).toMatchObject({ text: expect.stringContaining('"dscp"') });
    expect(pre[6]!.matches).toEqual([{ kind: 'unknown', text: expect.stringContaining('"limit"') }]);
    expect(pre[6]!.counters!.packets).toBeGreaterThan(0);
    expect(chain('inbound').rules[3]!.counters).toEqual({ packets: 0, bytes: 0 });
  });

  it('uses the nft -a text as the rule text and flags ours by comment prefix', () => {
    expect(chain('prerouting').rules[0]).toMatchObject({ handle: 6, text: 'meta l4proto tcp jump inbound comment "meshcap: inbound"', ours: false });
    const withPrefix = parseNftJson(fixture('nft-meshcap-table.json'), { commentPrefix: 'meshcap: ' });
    expect(withPrefix.tables[0]!.chains.find((c) => c.name === 'prerouting')!.rules[0]!.ours).toBe(true);
    // Without the text listing the JSON of the expressions stands in.
    expect(parseNftJson(fixture('nft-meshcap-table.json')).tables[0]!.chains[0]!.rules[0]!.text).toMatch(/^\[\{"match"/);
  });

  it('warns about chains and rules whose table or chain is not declared, and never reads a rule without expressions as match-all', () => {
    const rs = parseNftJson({
      nftables: [
        { table: { family: 'bridge', name: 'br' } },
        { chain: { family: 'bridge', table: 'br', name: 'c' } },
        { table: { family: 'ip', name: 't' } },
        { chain: { family: 'ip', table: 'nowhere', name: 'c', hook: 'output', prio: 0, type: 'nat' } },
        { chain: { family: 'ip', table: 't', name: 'out', hook: 'output', prio: -100, type: 'nat' } },
        { rule: { family: 'ip', table: 't', chain: 'gone', expr: [{ accept: null }] } },
        { rule: { family: 'ip', table: 't', chain: 'out', expr: 'oops' } },
      ],
    });
    expect(rs.warnings).toEqual([
      'nft chain "ip" "nowhere" "c": its table is not declared before it; ignored',
      'nft rule "ip" "t" "gone": its chain is not declared before it; ignored',
    ]);
    expect(rs.tables[0]!.chains[0]!.rules[0]!.matches).toEqual([{ kind: 'unknown', text: '"oops"' }]);
  });

  it('rejects what is not nft JSON', () => {
    expect(() => parseNftJson('{"x": 1}', { origin: 'o.json' })).toThrow(/o\.json: expected \{"nftables": \[\.\.\.\]\}/);
    expect(() => parseNftJson('nope')).toThrow(/not JSON/);
  });
});
