import { mergeRulesets, parseIpAddrJson, parseIptablesSave, parseNftHandles, parseNftJson, tracePacket, type Ruleset, type TracePacket } from '@meshcap/core';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rulesResult, traceResult } from './inspect.ts';

/**
 * The rules and trace routes' response schemas against what core really produces: its rule-set
 * readers on core's fixtures of real iptables-save and nft output, and its tracer on those. A
 * schema that refused any of it would turn the dashboard's Rules tab into a 500; one that dropped a
 * field would lose it on the way out (the serializer writes what the schema parsed).
 */
const fixture = (name: string): string => readFileSync(new URL(`../../../../packages/core/src/capture/ruleset/__fixtures__/${name}`, import.meta.url), 'utf8');

const local = parseIpAddrJson(
  JSON.stringify([
    { ifindex: 1, ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }, { family: 'inet6', local: '::1', prefixlen: 128 }] },
    { ifindex: 2, ifname: 'eth0', addr_info: [{ family: 'inet', local: '198.18.0.1', prefixlen: 24 }, { family: 'inet6', local: '2001:2::1', prefixlen: 64 }] },
  ]),
);

const rulesets: Record<string, Ruleset> = {
  'iptables-nft v4': parseIptablesSave(fixture('nft-v4-mixed.save'), { origin: 'nft-v4-mixed.save' }),
  'iptables-legacy v4': parseIptablesSave(fixture('legacy-v4-mixed.save'), { origin: 'legacy-v4-mixed.save' }),
  'iptables-nft v6': parseIptablesSave(fixture('nft-v6-kuma.save')),
  'iptables-legacy v6': parseIptablesSave(fixture('legacy-v6-kuma.save')),
  nft: parseNftJson(fixture('nft-meshcap-table.json'), { texts: parseNftHandles(fixture('nft-meshcap-table.txt')) }),
};

describe('rules and trace response schemas', () => {
  it('take every rule set core reads, field for field', () => {
    for (const [name, ruleset] of Object.entries(rulesets)) {
      expect(ruleset.tables.length, name).toBeGreaterThan(0);
      const parsed = rulesResult.safeParse({ ruleset, local });
      expect(parsed.error?.issues, name).toBeUndefined();
      expect(parsed.data, name).toEqual({ ruleset, local });
    }
  });

  it('take every trace core makes of them, on IPv4 and IPv6', () => {
    const v4 = mergeRulesets(rulesets['iptables-nft v4']!, rulesets.nft!);
    const v6 = rulesets['iptables-nft v6']!;
    const packets: Array<[Ruleset, TracePacket]> = [
      [v4, { direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.2', dstPort: 80 }],
      [v4, { direction: 'outbound', proto: 'tcp', src: '198.18.0.1', dst: '198.18.0.2', dstPort: 80, uid: 5678, gid: 5678 }],
      [v4, { direction: 'inbound', proto: 'tcp', src: '198.18.0.2', dst: '198.18.0.1', dstPort: 8080, inIface: 'eth0' }],
      [v4, { direction: 'inbound', proto: 'tcp', src: '198.18.0.2', dst: '198.18.0.1', dstPort: 8080 }],
      [v4, { direction: 'outbound', proto: 'udp', src: '198.18.0.1', dst: '198.18.0.53', dstPort: 53, mark: 0x539 }],
      [v6, { direction: 'outbound', proto: 'tcp', src: '2001:2::1', dst: '2001:2::2', dstPort: 80 }],
      [v6, { direction: 'inbound', proto: 'tcp', src: '2001:2::2', dst: '2001:2::1', dstPort: 8080, inIface: 'eth0' }],
    ];
    const verdicts = new Set<string>();
    for (const [ruleset, packet] of packets) {
      const result = tracePacket(ruleset, packet, { local });
      verdicts.add(result.verdict.kind);
      const parsed = traceResult.safeParse(result);
      expect(parsed.error?.issues, JSON.stringify(packet)).toBeUndefined();
      expect(parsed.data, JSON.stringify(packet)).toEqual(result);
    }
    expect([...verdicts].sort()).toEqual(expect.arrayContaining(['accepted', 'captured']));
  });
});
