import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isMeshcapError } from '../../errors.ts';
import { buildRules } from '../build.ts';
import { parseTransparentProxyConfig } from '../config.ts';
import { renderIptablesSave } from '../render-iptables.ts';
import { resolveTransparentProxyConfig } from '../resolve.ts';
import { mergeRulesets, parseIptablesSave, parseNftHandles, parseNftJson } from '../ruleset/index.ts';
import { formatTraceText, parseIpAddrJson, tracePacket, type LocalNetwork, type TracePacket, type TraceResult } from './index.ts';

const fixture = (name: string): string => readFileSync(new URL(`../ruleset/__fixtures__/${name}`, import.meta.url), 'utf8');

// Real `ip -j addr` output shape (captured from a lab namespace with these addresses).
const local: LocalNetwork = parseIpAddrJson(
  JSON.stringify([
    { ifindex: 1, ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }, { family: 'inet6', local: '::1', prefixlen: 128 }] },
    { ifindex: 2, ifname: 'eth0', addr_info: [{ family: 'inet', local: '198.18.0.1', prefixlen: 24 }, { family: 'inet6', local: '2001:2::1', prefixlen: 64 }] },
  ]),
);

const mixed = parseIptablesSave(fixture('nft-v4-mixed.save'));
const v6 = parseIptablesSave(fixture('nft-v6-kuma.save'));
const nft = parseNftJson(fixture('nft-meshcap-table.json'), { texts: parseNftHandles(fixture('nft-meshcap-table.txt')) });

const out = (p: Partial<TracePacket>): TracePacket => ({ direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.2', dstPort: 80, ...p });
const inb = (p: Partial<TracePacket>): TracePacket => ({ direction: 'inbound', proto: 'tcp', src: '198.18.0.2', dst: '198.18.0.1', dstPort: 8080, inIface: 'eth0', ...p });

function ruleSteps(r: TraceResult): string[] {
  return r.steps.filter((s) => s.kind === 'rule').map((s) => `${s.table} ${s.chain} #${s.rule?.index} ${s.result}`);
}

describe('tracePacket on a real Kuma-style rule set', () => {
  it('walks every table in kernel order and names the deciding rule', () => {
    const r = tracePacket(mixed, out({ uid: 1000, gid: 1000 }), { local });
    expect(r.certain).toBe(true);
    expect(r.verdict).toEqual({ kind: 'captured', mechanism: 'REDIRECT', port: 15001, address: '127.0.0.1' });
    expect(r.decidedBy).toMatchObject({ kind: 'rule', rule: { table: 'nat', chain: 'KUMA_MESH_OUTBOUND_REDIRECT', index: 1 } });
    // raw → conntrack → mangle → nat → filter at OUTPUT, then POSTROUTING, then back in on lo.
    const order = r.steps.map((s) => (s.kind === 'event' ? s.note!.split(':')[0] : `${s.hook} ${s.table}`));
    const firsts = order.filter((x, i) => order.indexOf(x) === i);
    expect(firsts).toEqual([
      'routing',
      'OUTPUT raw',
      'conntrack',
      'OUTPUT mangle',
      'OUTPUT nat',
      'OUTPUT filter',
      'reroute',
      'POSTROUTING mangle',
      'POSTROUTING nat',
      'loopback',
      'PREROUTING raw',
      'PREROUTING mangle',
      'PREROUTING nat',
      'INPUT mangle',
      'INPUT filter',
      'INPUT nat',
    ]);
    // The looped-back packet does not see nat again: the connection's NAT was set up on the way out.
    expect(r.steps.filter((s) => s.kind === 'skip').map((s) => `${s.hook} ${s.note}`)).toEqual([
      'PREROUTING NAT for this connection was set up when the packet left (loopback)',
      'INPUT NAT for this connection was set up when the packet left (loopback)',
    ]);
    expect(ruleSteps(r)).toContain('nat KUMA_MESH_OUTBOUND #6 not-matched');
    expect(r.outcomes[0]!.matchedRules.map((m) => `${m.table} ${m.chain} #${m.index}`)).toEqual([
      'mangle OUTPUT #1',
      'nat OUTPUT #1',
      'nat KUMA_MESH_OUTBOUND #8',
      'nat KUMA_MESH_OUTBOUND_REDIRECT #1',
      'filter OUTPUT #2',
      'raw PREROUTING #2',
      'mangle PREROUTING #5',
      'filter INPUT #1',
    ]);
    // MARK in mangle OUTPUT changed the mark; CT --notrack on the way back in has no effect.
    expect(r.outcomes[0]!.final).toEqual({ src: '198.18.0.1', dst: '127.0.0.1', dstPort: 15001, mark: 0x10 });
    expect(r.steps.find((s) => s.rule?.table === 'raw' && s.rule.chain === 'PREROUTING' && s.rule.index === 2)?.action).toMatch(/no effect/);
  });

  it('says the verdict is uncertain when a match cannot be evaluated and the answers differ', () => {
    const r = tracePacket(mixed, out({}), { local });
    expect(r.certain).toBe(false);
    expect(r.decidedBy).toBeUndefined();
    expect(r.verdict.kind).toBe('uncertain');
    const possible = r.verdict.kind === 'uncertain' ? r.verdict.possible.map((v) => v.kind).sort() : [];
    expect(possible).toEqual(['accepted', 'captured']);
    expect(r.unknowns.map((u) => `${u.rule.chain} #${u.rule.index}`)).toContain('KUMA_MESH_OUTBOUND #4');
    expect(r.unknowns.flatMap((u) => u.reasons)).toContain('uid of the sending process not given (--uid)');
    expect(r.outcomes.every((o) => o.assumptions.length > 0)).toBe(true);
  });

  it('stays certain when an unknown match cannot change the verdict (-m socket only sets a mark here)', () => {
    const r = tracePacket(mixed, inb({}), { local });
    expect(r.unknowns.map((u) => u.reasons[0])).toEqual(['-m socket looks up the kernel socket table, which a trace cannot see']);
    expect(r.outcomes).toHaveLength(2);
    expect(r.certain).toBe(true);
    // raw PREROUTING's CT --notrack makes the connection untracked: nat never sees it, nothing is captured.
    expect(r.verdict).toEqual({ kind: 'accepted', delivery: 'local', address: '198.18.0.1', port: 8080 });
    expect(r.steps.find((s) => s.kind === 'skip' && s.hook === 'PREROUTING')?.note).toBe('untracked connection: nat chains never see it');
    // Before conntrack ran, the tracer knows the state; afterwards it is UNTRACKED.
    expect(r.steps.find((s) => s.rule?.table === 'filter' && s.rule.index === 2)?.matches?.[0]).toMatchObject({ result: 'no-match', reason: 'first packet: state UNTRACKED' });
  });

  it('evaluates addrtype against the local address list, and leaves it unknown without one', () => {
    const withList = tracePacket(mixed, inb({}), { local });
    expect(withList.steps.find((s) => s.rule?.table === 'mangle' && s.rule.index === 4)?.result).toBe('not-matched');
    const without = tracePacket(mixed, inb({ inIface: 'eth0' }));
    const addrtype = without.steps.find((s) => s.rule?.table === 'mangle' && s.rule.index === 4);
    expect(addrtype?.result).toBe('unknown');
    expect(without.assumptions).toContain('no local address list: only loopback addresses are known to be local');
  });

  it('reports interfaces it is not told as unknown, never guessed', () => {
    const r = tracePacket(mixed, inb({ inIface: undefined }), { local });
    const step = r.steps.find((s) => s.rule?.table === 'filter' && s.rule.chain === 'INPUT' && s.rule.index === 1);
    expect(step).toMatchObject({ result: 'unknown', matches: [{ match: '-i lo', result: 'unknown', reason: 'input interface not known (--in-iface)' }] });
  });

  it('traces IPv6 through the ip6 tables, TPROXY ending the mangle table', () => {
    const r = tracePacket(v6, inb({ src: '2001:2::2', dst: '2001:2::1', dstPort: 8080 }), { local });
    expect(r.family).toBe('ipv6');
    expect(r.certain).toBe(true);
    expect(r.verdict).toEqual({ kind: 'captured', mechanism: 'TPROXY', port: 15006, address: '::' });
    expect(r.decidedBy).toMatchObject({ rule: { table: 'mangle', chain: 'PREROUTING', index: 2 } });
    // The iptables TPROXY target ends the mangle table (rule 3 is not visited); nat still runs.
    expect(ruleSteps(r)).not.toContain('mangle PREROUTING #3 not-matched');
    expect(r.outcomes[0]!.final.mark).toBe(1);
    expect(ruleSteps(r)).toContain('nat KUMA_MESH_INBOUND_REDIRECT #1 matched');

    const excluded = tracePacket(v6, inb({ src: '2001:2::2', dst: '2001:2::1', dstPort: 22 }), { local });
    expect(excluded.verdict).toEqual({ kind: 'accepted', delivery: 'local', address: '2001:2::1', port: 22 });
    expect(excluded.decidedBy).toMatchObject({ rule: { chain: 'KUMA_MESH_INBOUND', index: 1 } });
  });

  it('rejects and drops with the deciding rule', () => {
    // Untracked (raw NOTRACK), so nothing redirects: the SYN to port 23 meets filter INPUT's REJECT.
    const rejected = tracePacket(mixed, inb({ dstPort: 23 }), { local });
    expect(rejected.verdict).toEqual({ kind: 'rejected', with: 'tcp-reset' });
    expect(rejected.decidedBy).toMatchObject({ rule: { table: 'filter', chain: 'INPUT', index: 3 } });
    const dropped = tracePacket(mixed, inb({ proto: 'udp', srcPort: 53, dstPort: 5000 }), { local });
    expect(dropped.verdict).toEqual({ kind: 'dropped' });
    expect(dropped.decidedBy).toMatchObject({ rule: { table: 'filter', chain: 'INPUT', index: 4 } });
  });
});

describe('tracePacket on a native nftables table', () => {
  it('runs nft base chains at their priority; tproxy does not end the rule, accept does', () => {
    const r = tracePacket(nft, inb({}), { local });
    expect(r.verdict).toEqual({ kind: 'captured', mechanism: 'TPROXY', port: 15006 });
    const pre = r.steps.filter((s) => s.hook === 'PREROUTING' && s.kind !== 'event').map((s) => `${s.chain}${s.rule ? ` #${s.rule.index}` : ''} ${s.kind}`);
    // mangle_pre (-150) before the nat prerouting chain (-100).
    expect(pre[0]).toBe('mangle_pre #1 rule');
    expect(pre.findIndex((x) => x.startsWith('prerouting'))).toBeGreaterThan(pre.findIndex((x) => x.startsWith('mangle_pre #3')));
    expect(r.steps.find((s) => s.chain === 'mangle_pre' && s.rule?.index === 3)?.action).toMatch(/TPROXY to port 15006.*; MARK set 0x1\/0xffffffff → mark 0x1; ACCEPT/);
    expect(r.outcomes[0]!.final.mark).toBe(1);
  });

  it('never matches an ip6 address test against an IPv4 packet, negated or not', () => {
    const nftIn = tracePacket(nft, inb({ dst: '198.18.0.9', dstPort: 443 }), { local });
    const step = nftIn.outcomes.flatMap((o) => o.steps).find((s) => s.chain === 'mangle_pre' && s.rule?.index === 5);
    expect(step?.result).toBe('not-matched');
  });

  it('maps skuid and oifname the same way as iptables owner/-o', () => {
    const dataplane = tracePacket(nft, out({ uid: 5678, gid: 5678 }), { local });
    expect(dataplane.verdict).toMatchObject({ kind: 'accepted', delivery: 'sent', address: '198.18.0.2', port: 80, iface: 'eth0' });
    expect(dataplane.decidedBy).toMatchObject({ rule: { chain: 'outbound', index: 4 } });
    // The app's connection is REDIRECTed on every path; back in through lo, mangle_pre's last rule
    // (`log drop`) drops it unless the dscp/limit rules before it (which the tracer cannot evaluate) accept it.
    const app = tracePacket(nft, out({ uid: 1000, gid: 1000 }), { local });
    expect(app.outcomes.every((o) => o.steps.some((s) => s.action === 'REDIRECT to 127.0.0.1:15001'))).toBe(true);
    expect(app.certain).toBe(false);
    expect(app.verdict).toEqual({ kind: 'uncertain', possible: [{ kind: 'dropped' }, { kind: 'captured', mechanism: 'REDIRECT', port: 15001, address: '127.0.0.1' }] });
  });

  it('combines iptables tables and nft chains at one hook, in priority order', () => {
    const both = mergeRulesets(mixed, nft);
    const r = tracePacket(both, out({ uid: 1000, gid: 1000 }), { local });
    // iptables nat OUTPUT (priority -100) redirects first; the nft nat chain at the same hook is then skipped.
    const redirect = r.steps.find((s) => s.action === 'REDIRECT to 127.0.0.1:15001');
    expect(redirect?.rule).toMatchObject({ backend: 'iptables', chain: 'KUMA_MESH_OUTBOUND_REDIRECT' });
    expect(r.steps.find((s) => s.kind === 'skip' && s.backend === 'nftables' && s.hook === 'OUTPUT')?.note).toBe('NAT for this connection is already set up by an earlier nat chain');
  });
});

describe('tracePacket semantics on small rule sets', () => {
  const rules = (text: string) => parseIptablesSave(text, { family: 'ip' });

  it('returns from a goto-ed chain to the caller of the chain that did the goto', () => {
    const rs = rules(['*filter', ':OUTPUT DROP [0:0]', ':A - [0:0]', ':B - [0:0]', '-A OUTPUT -j A', '-A OUTPUT -j ACCEPT', '-A A -g B', '-A A -j DROP', '-A B -p udp -j DROP', 'COMMIT'].join('\n'));
    const r = tracePacket(rs, out({ uid: 1 }), { local });
    expect(ruleSteps(r)).toEqual(['filter OUTPUT #1 matched', 'filter A #1 matched', 'filter B #1 not-matched', 'filter OUTPUT #2 matched']);
    expect(r.verdict).toMatchObject({ kind: 'accepted', delivery: 'sent' });
    expect(r.decidedBy).toMatchObject({ rule: { chain: 'OUTPUT', index: 2 } });
  });

  it('uses a DROP policy as the decider', () => {
    const r = tracePacket(rules('*filter\n:OUTPUT DROP [0:0]\n-A OUTPUT -p udp -j ACCEPT\nCOMMIT'), out({ uid: 1 }), { local });
    expect(r.verdict).toEqual({ kind: 'dropped' });
    expect(r.decidedBy).toEqual({ kind: 'policy', backend: 'iptables', family: 'ip', table: 'filter', chain: 'OUTPUT', policy: 'DROP' });
  });

  it('follows forwarded packets through FORWARD and POSTROUTING, where xt_owner has no socket', () => {
    const rs = rules(
      ['*nat', ':POSTROUTING ACCEPT [0:0]', '-A POSTROUTING -m owner --uid-owner 0 -j SNAT --to-source 198.18.0.1', '-A POSTROUTING -m owner ! --uid-owner 5678 -j MASQUERADE', 'COMMIT'].join('\n'),
    );
    const r = tracePacket(rs, inb({ dst: '198.18.9.9' }), { local });
    expect(r.steps.some((s) => s.kind === 'event' && /forwarded/.test(s.note ?? ''))).toBe(true);
    expect(ruleSteps(r)).toEqual(['nat POSTROUTING #1 not-matched', 'nat POSTROUTING #2 matched']);
    expect(r.verdict).toEqual({ kind: 'accepted', delivery: 'forwarded', address: '198.18.9.9', port: 8080 });
  });

  it('applies MARK and CONNMARK save/restore and matches on the result', () => {
    const rs = rules(
      [
        '*mangle',
        ':OUTPUT ACCEPT [0:0]',
        '-A OUTPUT -j MARK --set-xmark 0x5/0xff',
        '-A OUTPUT -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff',
        '-A OUTPUT -j MARK --set-xmark 0x0/0xffffffff',
        '-A OUTPUT -m connmark --mark 0x5/0xff -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff',
        '-A OUTPUT -m mark --mark 0x4/0x4 -j DROP',
        'COMMIT',
      ].join('\n'),
    );
    const r = tracePacket(rs, out({ uid: 1, mark: 0x100 }), { local });
    // 0x100 → xmark 0x5/0xff → 0x105, saved to the connmark, cleared, restored, then dropped on bit 0x4.
    expect(r.outcomes[0]!.final.mark).toBe(0x105);
    expect(r.verdict).toEqual({ kind: 'dropped' });
  });

  it('knows DNAT and reports the new destination', () => {
    const rs = rules('*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -p tcp --dport 80 -j DNAT --to-destination 198.18.0.9:8080\nCOMMIT');
    const r = tracePacket(rs, out({ uid: 1 }), { local });
    expect(r.verdict).toEqual({ kind: 'dnat', address: '198.18.0.9', port: 8080 });
  });

  it('matches the first packet as a bare SYN and never a fragment', () => {
    const rs = rules(
      ['*filter', ':OUTPUT ACCEPT [0:0]', '-A OUTPUT -p tcp --tcp-flags SYN,ACK ACK -j DROP', '-A OUTPUT -f -j DROP', '-A OUTPUT -p tcp --syn -j REJECT', 'COMMIT'].join('\n'),
    );
    expect(tracePacket(rs, out({ uid: 1 }), { local }).decidedBy).toMatchObject({ rule: { index: 3 } });
    expect(tracePacket(rs, out({ uid: 1, proto: 'udp' }), { local }).verdict).toMatchObject({ kind: 'accepted' });
  });

  it('cannot know RELATED when the rule set attaches conntrack helpers', () => {
    const rs = rules(['*raw', ':OUTPUT ACCEPT [0:0]', '-A OUTPUT -p tcp --dport 21 -j CT --helper ftp', 'COMMIT', '*filter', ':OUTPUT ACCEPT [0:0]', '-A OUTPUT -m conntrack --ctstate RELATED -j DROP', 'COMMIT'].join('\n'));
    const r = tracePacket(rs, out({ uid: 1 }), { local });
    expect(r.certain).toBe(false);
    expect(r.unknowns[0]!.reasons[0]).toMatch(/helpers/);
    const noHelpers = rules('*filter\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -m conntrack --ctstate RELATED -j DROP\nCOMMIT');
    expect(tracePacket(noHelpers, out({ uid: 1 }), { local }).verdict).toMatchObject({ kind: 'accepted' });
  });

  it('keeps unmodelled targets from deciding silently', () => {
    const rs = rules('*filter\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j SYNPROXY --sack-perm\n-A OUTPUT -j TRACE\nCOMMIT');
    const r = tracePacket(rs, out({ uid: 1 }), { local });
    expect(r.verdict).toEqual({ kind: 'unknown', reason: 'target "-j SYNPROXY --sack-perm" is not modelled' });
    const trace = rules('*raw\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j TRACE\nCOMMIT');
    expect(tracePacket(trace, out({ uid: 1 }), { local }).verdict.kind).toBe('accepted');
  });

  it('stops exploring after maxPaths combinations and then says it is not certain', () => {
    const lines = ['*filter', ':OUTPUT ACCEPT [0:0]'];
    for (let i = 0; i < 8; i++) lines.push(`-A OUTPUT -m owner --uid-owner ${i} -j MARK --set-xmark 0x${(1 << i).toString(16)}/0x${(1 << i).toString(16)}`);
    lines.push('COMMIT');
    const r = tracePacket(rules(lines.join('\n')), out({}), { local, maxPaths: 16 });
    expect(r.outcomes).toHaveLength(16);
    expect(r.explorationLimited).toBe(true);
    expect(r.certain).toBe(false);
  });
});

describe('packet validation and text output', () => {
  it('names the field and value of a bad packet', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ ...out({}), src: '198.18.0.300' }, /src: "198\.18\.0\.300": not an IPv4 or IPv6 address/],
      [{ ...out({}), dst: '2001:2::2' }, /dst: .*different IP families/],
      [{ ...out({}), dstPort: 0 }, /dstPort: 0:/],
      [{ ...out({}), proto: 'icmp' }, /proto: "icmp"/],
      [{ ...out({}), bogus: 1 }, /unrecognized|bogus/i],
      [{ ...out({}), outIface: 'a/b' }, /outIface: "a\/b": not an interface name/],
    ];
    for (const [packet, message] of bad) {
      let caught: unknown;
      try {
        tracePacket(mixed, packet);
      } catch (err) {
        caught = err;
      }
      expect(isMeshcapError(caught)).toBe(true);
      expect((caught as { code: string }).code).toBe('MESHCAP_ERR_INVALID_ARGUMENT');
      expect((caught as Error).message).toMatch(message);
    }
  });

  it('prints the verdict, the deciding rule and every step', () => {
    const text = formatTraceText(tracePacket(mixed, out({ uid: 5678, gid: 5678 }), { local }));
    expect(text).toMatch(/^packet: {2}outbound tcp 198\.18\.0\.1 -> 198\.18\.0\.2:80 \(uid 5678 gid 5678\)$/m);
    expect(text).toMatch(/^verdict: not captured: sent to 198\.18\.0\.2:80 via eth0$/m);
    expect(text).toMatch(/^decided by: nat KUMA_MESH_OUTBOUND #4: -A KUMA_MESH_OUTBOUND -m owner --uid-owner 5678 -j RETURN$/m);
    expect(text).toMatch(/^ {2}✔ nat KUMA_MESH_OUTBOUND #4: .* → RETURN$/m);
    expect(text).toMatch(/^ {2}✘ nat KUMA_MESH_OUTBOUND #2: .* {2}\[-o lo: out eth0\]$/m);
    const uncertain = formatTraceText(tracePacket(mixed, out({}), { local }));
    expect(uncertain).toMatch(/^verdict: UNCERTAIN, one of: /m);
    expect(uncertain).toMatch(/^could not evaluate:$/m);
  });
});

describe('tracePacket on the rules meshcap builds for --redirect-all-dns-traffic', () => {
  const family = buildRules(resolveTransparentProxyConfig(parseTransparentProxyConfig({ redirectAllDnsTraffic: true, ipFamilyMode: 'ipv4' }))).families[0]!;
  const rules = parseIptablesSave(renderIptablesSave(family));

  it("leaves the app's DNS over TCP alone (RETURN in KUMA_MESH_OUTBOUND, not captured)", () => {
    const r = tracePacket(rules, out({ dst: '198.18.0.53', dstPort: 53, uid: 1000, gid: 1000 }), { local });
    expect(r.certain).toBe(true);
    expect(r.verdict).toMatchObject({ kind: 'accepted', delivery: 'sent', address: '198.18.0.53', port: 53 });
    const decisive = r.steps.filter((s) => s.kind === 'rule' && s.chain === 'KUMA_MESH_OUTBOUND' && s.result === 'matched').pop();
    expect(decisive?.rule?.text).toMatch(/-p tcp -m tcp --dport 53 -m owner ! --uid-owner 5678 .*-j RETURN$/);
    expect(ruleSteps(r).some((s) => s.includes('KUMA_MESH_OUTBOUND_REDIRECT'))).toBe(false);
  });

  it('still captures its DNS over UDP to the DNS proxy', () => {
    const r = tracePacket(rules, out({ proto: 'udp', dst: '198.18.0.53', dstPort: 53, uid: 1000, gid: 1000 }), { local });
    expect(r.verdict).toMatchObject({ kind: 'captured', mechanism: 'REDIRECT', port: 15053 });
  });
});
