/**
 * Every rule meshcap installs carries a comment starting with this prefix (iptables `-m comment`,
 * nftables `comment`); cleanup removes exactly the rules that carry it, and nothing else.
 */
export const COMMENT_PREFIX = 'meshcap/';

/** Kuma-compatible chain names (kumactl install transparent-proxy). */
export const CHAIN_INBOUND = 'KUMA_MESH_INBOUND';
export const CHAIN_INBOUND_REDIRECT = 'KUMA_MESH_INBOUND_REDIRECT';
export const CHAIN_OUTBOUND = 'KUMA_MESH_OUTBOUND';
export const CHAIN_OUTBOUND_REDIRECT = 'KUMA_MESH_OUTBOUND_REDIRECT';
/** TPROXY mode (mangle table): packets of connections already diverted to the proxy get the mark. */
export const CHAIN_INBOUND_DIVERT = 'KUMA_MESH_INBOUND_DIVERT';
/** TPROXY mode (mangle table): new inbound connections are handed to the transparent listener. */
export const CHAIN_INBOUND_TPROXY = 'KUMA_MESH_INBOUND_TPROXY';

/** Every chain meshcap may create; cleanup deletes these (only when all their rules are ours). */
export const MESHCAP_CHAINS: readonly string[] = [
  CHAIN_INBOUND,
  CHAIN_INBOUND_REDIRECT,
  CHAIN_OUTBOUND,
  CHAIN_OUTBOUND_REDIRECT,
  CHAIN_INBOUND_DIVERT,
  CHAIN_INBOUND_TPROXY,
];

/** nftables backend: one table of this name per family (`ip meshcap`, `ip6 meshcap`). */
export const NFT_TABLE_NAME = 'meshcap';

/**
 * Routing protocol number stamped on the `ip rule`s and routes of TPROXY mode (`protocol 77`), so
 * cleanup finds exactly ours. 77 is not assigned in /etc/iproute2/rt_protos.
 */
export const ROUTE_PROTOCOL = 77;

export const DNS_PORT = 53;
export const LOOPBACK_INTERFACE = 'lo';

/** Per family: loopback, and the source address of the proxy's inbound passthrough (Kuma/Envoy bind it). */
export const FAMILY_ADDRESSES = {
  ipv4: { localhost: '127.0.0.1/32', inboundPassthroughSource: '127.0.0.6/32', any: '0.0.0.0/0' },
  ipv6: { localhost: '::1/128', inboundPassthroughSource: '::6/128', any: '::/0' },
} as const;
