import { CHAIN_INBOUND, CHAIN_INBOUND_DIVERT, CHAIN_INBOUND_TPROXY, LOOPBACK_INTERFACE } from './constants.ts';
import { match, TableRules, target, type FamilyContext } from './build-context.ts';

/**
 * The mangle table in TPROXY inbound mode (Istio's recipe): new inbound TCP connections are handed
 * to the transparent listener with TPROXY, which marks them; packets of established connections
 * get the mark too. The proxy sets the same mark (SO_MARK) on its connections to the app, which
 * PREROUTING saves as the connection mark and OUTPUT restores on the app's replies, so the replies,
 * addressed to the real client, are routed back locally to the proxy (ip rule fwmark -> local route).
 */
export function buildMangleTable(ctx: FamilyContext): TableRules {
  const mangle = new TableRules('mangle');
  if (!ctx.tproxy) return mangle;
  const { config } = ctx;
  const mark = config.tproxyMark;
  const hex = `0x${mark.toString(16)}`;
  mangle.chain(CHAIN_INBOUND).chain(CHAIN_INBOUND_DIVERT).chain(CHAIN_INBOUND_TPROXY);
  mangle.append('PREROUTING', `save the mark ${hex} of proxy-to-app connections on the connection`, { type: 'save-connmark' },
    match.protocol('tcp'), match.mark(mark));
  mangle.append('PREROUTING', `inbound TCP goes through ${CHAIN_INBOUND}`, target.jump(CHAIN_INBOUND), match.protocol('tcp'));
  mangle.append('OUTPUT', `replies of the app to the proxy get the mark ${hex} back and are routed locally`, { type: 'restore-connmark' },
    match.protocol('tcp'), { type: 'connmark', mark });

  const c = CHAIN_INBOUND;
  mangle.append(c, 'loopback traffic is never TPROXYed (proxy to app, replies routed back, nat handles the rest)', target.return,
    match.inInterface(LOOPBACK_INTERFACE));
  for (const cidr of ctx.excludeInboundIps) {
    mangle.append(c, `do not capture inbound traffic from ${cidr} (--exclude-inbound-ips)`, target.return, match.source(cidr));
  }
  for (const port of config.excludeInboundPorts) {
    mangle.append(c, `do not capture inbound traffic to port ${port} (--exclude-inbound-ports)`, target.return,
      match.protocol('tcp'), match.destinationPort('tcp', port));
  }
  mangle.append(c, `packets of established connections are marked ${hex}`, target.jump(CHAIN_INBOUND_DIVERT),
    match.protocol('tcp'), { type: 'conntrack-state', states: ['RELATED', 'ESTABLISHED'] });
  mangle.append(c, 'capture all other inbound TCP', target.jump(CHAIN_INBOUND_TPROXY), match.protocol('tcp'));
  mangle.append(CHAIN_INBOUND_DIVERT, `mark ${hex}: routed to the local table ${config.tproxyRouteTable}`, { type: 'set-mark', mark });
  mangle.append(CHAIN_INBOUND_DIVERT, 'deliver locally', target.accept);
  mangle.append(CHAIN_INBOUND_TPROXY, `hand new connections to the transparent listener on ${config.redirectInboundPort}`,
    { type: 'tproxy', onPort: config.redirectInboundPort, mark },
    match.destination(ctx.localhost, true), match.protocol('tcp'));
  return mangle;
}
