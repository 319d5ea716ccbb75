import { parseUidExclusion } from './config.ts';
import { CHAIN_INBOUND, CHAIN_INBOUND_REDIRECT, CHAIN_OUTBOUND, CHAIN_OUTBOUND_REDIRECT, DNS_PORT, LOOPBACK_INTERFACE } from './constants.ts';
import { match, TableRules, target, type FamilyContext } from './build-context.ts';
import type { RuleMatch } from './rules.ts';

/** The proxy's identities (UID, and mark when set) as match lists, one rule per identity. */
function dataplaneIdentities(ctx: FamilyContext): Array<{ what: string; matches: RuleMatch[] }> {
  const out = [{ what: `UID ${ctx.uid}`, matches: [match.uid(ctx.uid)] }];
  if (ctx.mark !== undefined) out.push({ what: `mark 0x${ctx.mark.toString(16)}`, matches: [match.mark(ctx.mark)] });
  return out;
}

/** nat OUTPUT: logging, exclusions by UID and address, DNS, then the jump to KUMA_MESH_OUTBOUND (Kuma's order). */
function outputRules(ctx: FamilyContext, nat: TableRules): void {
  const { config } = ctx;
  if (config.iptablesLogs) nat.insert('OUTPUT', 'log packets entering nat OUTPUT', target.log('meshcap OUTPUT: '));
  for (const text of config.excludeOutboundPortsForUids) {
    const exclusion = parseUidExclusion(text);
    if (typeof exclusion === 'string') continue; // validated by the config schema
    const ports = exclusion.ports.length ? exclusion.ports : [{ from: 1, to: 65535 }];
    const uids = exclusion.uids.from === exclusion.uids.to ? `UID ${exclusion.uids.from}` : `UIDs ${exclusion.uids.from}-${exclusion.uids.to}`;
    for (const protocol of exclusion.protocols) {
      nat.insert('OUTPUT', `do not capture ${protocol} traffic of ${uids} (--exclude-outbound-ports-for-uids ${text})`, target.return,
        match.protocol(protocol),
        { type: 'destination-ports', protocol, ports },
        { type: 'owner', uid: exclusion.uids },
      );
    }
  }
  for (const cidr of ctx.excludeOutboundIps) {
    nat.insert('OUTPUT', `do not capture outbound traffic to ${cidr} (--exclude-outbound-ips)`, target.return, match.destination(cidr));
  }
  if (ctx.dns) {
    for (const id of dataplaneIdentities(ctx)) {
      nat.insert('OUTPUT', `DNS queries of the dataplane (${id.what}) go to their server`, target.return,
        match.protocol('udp'), match.destinationPort('udp', DNS_PORT), ...id.matches);
    }
    if (config.redirectAllDnsTraffic) {
      nat.insert('OUTPUT', `redirect all DNS queries to the DNS proxy on ${config.redirectDnsPort}`, target.redirect(config.redirectDnsPort),
        match.protocol('udp'), match.destinationPort('udp', DNS_PORT));
    }
    for (const server of ctx.dnsServers) {
      nat.insert('OUTPUT', `redirect DNS queries to ${server} to the DNS proxy on ${config.redirectDnsPort}`, target.redirect(config.redirectDnsPort),
        match.destination(server), match.protocol('udp'), match.destinationPort('udp', DNS_PORT));
    }
  }
  nat.append('OUTPUT', `outbound TCP goes through ${CHAIN_OUTBOUND}`, target.jump(CHAIN_OUTBOUND), match.protocol('tcp'));
}

/** nat PREROUTING and KUMA_MESH_INBOUND: only when inbound is REDIRECTed (TPROXY mode captures in mangle). */
function inboundRules(ctx: FamilyContext, nat: TableRules): void {
  const { config } = ctx;
  if (config.iptablesLogs) nat.append('PREROUTING', 'log packets entering nat PREROUTING', target.log('meshcap PREROUTING: '));
  // Kuma's --vnet: what a virtual network (containers behind docker0) sends out through this host is
  // captured like the app's outbound, before the inbound rules see it.
  for (const vnet of ctx.vnets) {
    if (ctx.dns) {
      nat.append('PREROUTING', `DNS queries from ${vnet.iface} go to the DNS proxy on ${config.redirectDnsPort} (--vnet)`, target.redirect(config.redirectDnsPort),
        match.inInterface(vnet.iface), match.protocol('udp'), match.destinationPort('udp', DNS_PORT));
    }
    nat.append('PREROUTING', `TCP from ${vnet.iface} leaving ${vnet.cidr} goes to the outbound listener on ${config.redirectOutboundPort} (--vnet)`, target.redirect(config.redirectOutboundPort),
      match.destination(vnet.cidr, true), match.inInterface(vnet.iface), match.protocol('tcp'));
  }
  if (ctx.tproxy) return;
  nat.chain(CHAIN_INBOUND);
  nat.append('PREROUTING', `inbound TCP goes through ${CHAIN_INBOUND}`, target.jump(CHAIN_INBOUND), match.protocol('tcp'));
  if (!config.redirectInbound) {
    nat.append(CHAIN_INBOUND, 'inbound capture is disabled (--redirect-inbound=false)', target.return, match.protocol('tcp'));
    return;
  }
  for (const cidr of ctx.excludeInboundIps) {
    nat.append(CHAIN_INBOUND, `do not capture inbound traffic from ${cidr} (--exclude-inbound-ips)`, target.return, match.source(cidr));
  }
  for (const port of config.excludeInboundPorts) {
    nat.append(CHAIN_INBOUND, `do not capture inbound traffic to port ${port} (--exclude-inbound-ports)`, target.return,
      match.protocol('tcp'), match.destinationPort('tcp', port));
  }
  nat.append(CHAIN_INBOUND, `capture all other inbound TCP`, target.jump(CHAIN_INBOUND_REDIRECT), match.protocol('tcp'));
}

/** KUMA_MESH_OUTBOUND: the loop-avoiding returns, DNS over TCP, localhost, then capture. */
function meshOutboundRules(ctx: FamilyContext, nat: TableRules): void {
  const { config } = ctx;
  const c = CHAIN_OUTBOUND;
  const notDns = ctx.dns ? [match.destinationPort('tcp', DNS_PORT, true)] : [];
  for (const port of config.excludeOutboundPorts) {
    nat.append(c, `do not capture outbound traffic to port ${port} (--exclude-outbound-ports)`, target.return,
      match.protocol('tcp'), match.destinationPort('tcp', port));
  }
  nat.append(c, `the inbound passthrough of the proxy (source ${ctx.inboundPassthroughSource}) to the app is not captured again`, target.return,
    match.source(ctx.inboundPassthroughSource), match.outInterface(LOOPBACK_INTERFACE));
  if (ctx.tproxy) {
    nat.append(c, `TPROXY connections of the proxy to the app (mark 0x${config.tproxyMark.toString(16)}) are not captured`, target.return,
      match.outInterface(LOOPBACK_INTERFACE), match.mark(config.tproxyMark));
  }
  for (const id of dataplaneIdentities(ctx)) {
    nat.append(c, `the dataplane (${id.what}) calling a local address other than ${ctx.localhost} reaches inbound capture`, target.jump(CHAIN_INBOUND_REDIRECT),
      match.destination(ctx.localhost, true), match.outInterface(LOOPBACK_INTERFACE), match.protocol('tcp'), ...notDns, ...id.matches);
  }
  const notDataplane: RuleMatch[] = [match.uid(ctx.uid, true), ...(ctx.mark !== undefined ? [match.mark(ctx.mark, true)] : [])];
  nat.append(c, 'loopback traffic of anyone but the dataplane is not captured', target.return,
    match.outInterface(LOOPBACK_INTERFACE), match.protocol('tcp'), ...notDns, ...notDataplane);
  for (const id of dataplaneIdentities(ctx)) {
    nat.append(c, `traffic of the dataplane (${id.what}) is not captured`, target.return, ...id.matches);
  }
  if (ctx.dns) {
    if (config.redirectAllDnsTraffic) {
      // As current Kuma: the app's DNS over TCP goes to its server; the DNS proxy takes UDP. (The
      // dataplane's own traffic returned above, so a REDIRECT of TCP/53 here would match nothing else.)
      nat.append(c, 'DNS over TCP of the app goes to its server (--redirect-all-dns-traffic captures UDP only)', target.return,
        match.protocol('tcp'), match.destinationPort('tcp', DNS_PORT), ...notDataplane);
    }
    for (const server of ctx.dnsServers) {
      nat.append(c, `redirect DNS over TCP to ${server} to the DNS proxy on ${config.redirectDnsPort}`, target.redirect(config.redirectDnsPort),
        match.destination(server), match.protocol('tcp'), match.destinationPort('tcp', DNS_PORT));
    }
  }
  nat.append(c, `traffic to ${ctx.localhost} is not captured`, target.return, match.destination(ctx.localhost));
  nat.append(c, `capture all other outbound traffic`, target.jump(CHAIN_OUTBOUND_REDIRECT));
}

/** The nat table: Kuma's REDIRECT rule set (inbound part only in redirect mode). */
export function buildNatTable(ctx: FamilyContext): TableRules {
  const nat = new TableRules('nat').chain(CHAIN_INBOUND_REDIRECT).chain(CHAIN_OUTBOUND).chain(CHAIN_OUTBOUND_REDIRECT);
  outputRules(ctx, nat);
  inboundRules(ctx, nat);
  meshOutboundRules(ctx, nat);
  nat.append(CHAIN_INBOUND_REDIRECT, `redirect to the inbound listener on ${ctx.config.redirectInboundPort}`, target.redirect(ctx.config.redirectInboundPort), match.protocol('tcp'));
  nat.append(CHAIN_OUTBOUND_REDIRECT, `redirect to the outbound listener on ${ctx.config.redirectOutboundPort}`, target.redirect(ctx.config.redirectOutboundPort), match.protocol('tcp'));
  return nat;
}
