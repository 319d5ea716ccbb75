import { DNS_PORT } from './constants.ts';
import { match, TableRules, target, type FamilyContext } from './build-context.ts';
import type { RuleMatch } from './rules.ts';

/**
 * The raw table: Kuma's DNS conntrack zone split. The dataplane's queries to the real servers
 * (zone 1) and the applications' queries it answers (zone 2) would otherwise share conntrack
 * entries for the same 5-tuple and race.
 */
export function buildRawTable(ctx: FamilyContext): TableRules {
  const raw = new TableRules('raw');
  const { config } = ctx;
  if (!ctx.dns || config.skipDnsConntrackZoneSplit) return raw;
  const ids: Array<{ what: string; m: RuleMatch }> = [{ what: `UID ${ctx.uid}`, m: match.uid(ctx.uid) }];
  if (ctx.mark !== undefined) ids.push({ what: `mark 0x${ctx.mark.toString(16)}`, m: match.mark(ctx.mark) });
  for (const id of ids) {
    raw.append('OUTPUT', `conntrack zone 1 for DNS queries of the dataplane (${id.what})`, target.ctZone(1),
      match.protocol('udp'), match.destinationPort('udp', DNS_PORT), id.m);
  }
  for (const id of ids) {
    raw.append('OUTPUT', `conntrack zone 2 for answers of the DNS proxy (${id.what})`, target.ctZone(2),
      match.protocol('udp'), match.sourcePort('udp', config.redirectDnsPort), id.m);
  }
  if (config.redirectAllDnsTraffic) {
    raw.append('OUTPUT', 'conntrack zone 2 for all DNS queries', target.ctZone(2), match.protocol('udp'), match.destinationPort('udp', DNS_PORT));
    raw.append('PREROUTING', 'conntrack zone 1 for all DNS answers', target.ctZone(1), match.protocol('udp'), match.sourcePort('udp', DNS_PORT));
    return raw;
  }
  for (const server of ctx.dnsServers) {
    raw.append('OUTPUT', `conntrack zone 2 for DNS queries to ${server}`, target.ctZone(2),
      match.destination(server), match.protocol('udp'), match.destinationPort('udp', DNS_PORT));
    raw.append('PREROUTING', `conntrack zone 1 for DNS answers from ${server}`, target.ctZone(1),
      match.source(server), match.protocol('udp'), match.sourcePort('udp', DNS_PORT));
  }
  return raw;
}
