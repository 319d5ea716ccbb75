import { fuzzSettings, withinTime } from '@meshcap/testkit';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MeshcapError } from '../../errors.ts';
import { parseIptablesSave, parseNftHandles, parseNftJson, type Ruleset } from '../ruleset/index.ts';
import { formatTraceText, parseIpAddrJson, tracePacket } from './index.ts';

// Properties of the tracer over hostile input: any packet description (what `POST …/trace` and
// `meshcap trace` pass on) ends in a verdict or a coded 400 naming the field; and any rule set
// the readers accept — including chains shuffled into jump loops and jumps to missing chains —
// is walked to a verdict in bounded time.

const params = fuzzSettings(7003);
const fixture = (name: string): string => readFileSync(new URL(`../ruleset/__fixtures__/${name}`, import.meta.url), 'utf8');

const local = parseIpAddrJson(
  JSON.stringify([
    { ifindex: 1, ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }, { family: 'inet6', local: '::1', prefixlen: 128 }] },
    { ifindex: 2, ifname: 'eth0', addr_info: [{ family: 'inet', local: '198.18.0.1', prefixlen: 24 }, { family: 'inet6', local: '2001:2::1', prefixlen: 64 }] },
  ]),
);
const RULESETS: Ruleset[] = [
  parseIptablesSave(fixture('nft-v4-mixed.save')),
  parseIptablesSave(fixture('legacy-v6-kuma.save')),
  parseNftJson(fixture('nft-meshcap-table.json'), { texts: parseNftHandles(fixture('nft-meshcap-table.txt')) }),
];
const SAVE_LINES = ['nft-v4-mixed.save', 'legacy-v4-mixed.save'].map(fixture).flatMap((t) => t.split('\n'));
const RULE_LINES = SAVE_LINES.filter((l) => /^(\[\d+:\d+\] )?-A /.test(l));

const VERDICTS = new Set(['captured', 'dnat', 'accepted', 'dropped', 'rejected', 'queued', 'unknown', 'uncertain']);

const address = fc.oneof(fc.constantFrom('198.18.0.1', '198.18.0.2', '127.0.0.1', '127.0.0.6', '0.0.0.0', '255.255.255.255', '224.0.0.1', '::1', '2001:2::1', '2001:2::2', '::ffff:198.18.0.2', 'fe80::1'), fc.ipV4(), fc.ipV6());
const port = fc.oneof(fc.constantFrom(15001, 15006, 15053, 5000, 53, 22, 9901), fc.integer({ min: 1, max: 65535 }));
const validPacket = fc.record(
  {
    direction: fc.constantFrom('inbound', 'outbound'),
    src: address,
    dst: address,
    dstPort: port,
    srcPort: port,
    proto: fc.constantFrom('tcp', 'udp'),
    uid: fc.constantFrom(0, 1000, 5678, 0xfffffffe),
    gid: fc.constantFrom(0, 1000, 5678),
    mark: fc.oneof(fc.constantFrom(0, 0x1, 0x10, 0x539, 0xffffffff), fc.nat()),
    inIface: fc.constantFrom('lo', 'eth0', 'veth-x'),
    outIface: fc.constantFrom('lo', 'eth0'),
  },
  { requiredKeys: ['direction', 'src', 'dst', 'dstPort', 'proto'] },
);
const edge = fc.constantFrom<unknown>(undefined, null, '', -1, 0, 65536, 1.5, Number.NaN, '80', [], {}, 'x'.repeat(300), '198.18.0.1/24', 'a/b', true);
const damagedPacket = fc.tuple(validPacket, fc.constantFrom('direction', 'src', 'dst', 'dstPort', 'srcPort', 'proto', 'uid', 'gid', 'mark', 'inIface', 'outIface', 'extra'), edge).map(([p, key, v]) => ({ ...p, [key]: v }));
const anyPacket = fc.oneof({ arbitrary: validPacket, weight: 4 }, { arbitrary: damagedPacket, weight: 3 }, { arbitrary: fc.anything(), weight: 1 });

/** A rule set built from real rule lines in random order and chains: jump loops, jumps to missing chains, duplicates. */
const shuffledRuleset = fc
  .tuple(fc.constantFrom('nat', 'mangle', 'raw', 'filter'), fc.array(fc.tuple(fc.constantFrom(...RULE_LINES), fc.constantFrom('', 'PREROUTING', 'OUTPUT', 'KUMA_MESH_OUTBOUND', 'LOOP_A', 'LOOP_B')), { maxLength: 12 }), fc.constantFrom('LOOP_A', 'LOOP_B', 'KUMA_MESH_OUTBOUND'))
  .map(([table, rules, target]) => {
    const chains = new Set<string>();
    const lines = rules.map(([line, chain]) => {
      let l = line.replace(/^\[\d+:\d+\] /, '');
      if (chain) l = l.replace(/^-A \S+/, `-A ${chain}`);
      // Send every jump to one of our chains, so loops form.
      l = l.replace(/ -([jg]) (KUMA_\w+|MESHCAP_\w+)/, ` -$1 ${target}`);
      chains.add(/^-A (\S+)/.exec(l)![1]!);
      return l;
    });
    const builtins = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];
    const declared = [...new Set([...chains, 'LOOP_A', 'LOOP_B'])].map((c) => `:${c} ${builtins.includes(c) ? 'ACCEPT' : '-'} [0:0]`);
    return `*${table}\n${declared.join('\n')}\n${lines.join('\n')}\nCOMMIT\n`;
  });

describe(`packet tracer properties (${params.numRuns} inputs each, seed ${params.seed})`, () => {
  it('any packet description: a verdict (which formats as text) or a coded 400 naming the field; never another throw, never slow', () => {
    let traced = 0;
    fc.assert(
      fc.property(anyPacket, fc.constantFrom(...RULESETS), fc.boolean(), (packet, ruleset, withLocal) => {
        withinTime(() => {
          try {
            const r = tracePacket(ruleset, packet, withLocal ? { local } : {});
            expect(VERDICTS.has(r.verdict.kind)).toBe(true);
            expect(formatTraceText(r).length).toBeGreaterThan(0);
            traced++;
          } catch (err) {
            if (!(err instanceof MeshcapError)) throw err;
            expect(err.code).toBe('MESHCAP_ERR_INVALID_ARGUMENT');
            expect(err.status).toBe(400);
            expect(err.issues.length).toBeGreaterThan(0);
          }
        });
      }),
      params,
    );
    expect(traced).toBeGreaterThan(0);
  });

  it('rule sets with jump loops and missing chains: walked to a verdict in bounded time, or refused by the reader', () => {
    let walked = 0;
    fc.assert(
      fc.property(shuffledRuleset, validPacket, (text, packet) => {
        let ruleset: Ruleset;
        try {
          ruleset = parseIptablesSave(text, { family: packet.src.includes(':') ? 'ip6' : 'ip' });
        } catch (err) {
          if (!(err instanceof MeshcapError)) throw err;
          expect(err.code).toBe('MESHCAP_ERR_RULESET_SYNTAX');
          return;
        }
        withinTime(() => {
          try {
            expect(VERDICTS.has(tracePacket(ruleset, packet, { local }).verdict.kind)).toBe(true);
            walked++;
          } catch (err) {
            if (!(err instanceof MeshcapError)) throw err;
            expect(err.status).toBe(400);
          }
        });
      }),
      params,
    );
    expect(walked).toBeGreaterThan(params.numRuns / 4);
  });
});
