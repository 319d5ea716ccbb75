#!/bin/sh
# Regenerates the fixtures from real kernels: loads the *.rules / *.nft inputs into throwaway network
# namespaces, sends a little loopback traffic so counters move, and saves what the tools print.
# Needs root. Run from this directory: ./capture-fixtures.sh
set -eu
cd "$(dirname "$0")"
NFT_NS="rsfix-nft-$$"
LEG_NS="rsfix-leg-$$"
cleanup() { ip netns del "$NFT_NS" 2>/dev/null || true; ip netns del "$LEG_NS" 2>/dev/null || true; }
trap cleanup EXIT
for ns in "$NFT_NS" "$LEG_NS"; do ip netns add "$ns"; ip netns exec "$ns" ip link set lo up; done
traffic() {
  ip netns exec "$1" sh -c 'ping -c2 -W1 127.0.0.1 >/dev/null 2>&1; ping -6 -c1 -W1 ::1 >/dev/null 2>&1; (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; true'
}
ip netns exec "$NFT_NS" iptables-nft-restore < mixed-v4.rules
ip netns exec "$NFT_NS" ip6tables-nft-restore < kuma-v6.rules
ip netns exec "$LEG_NS" iptables-legacy-restore < mixed-v4.rules
ip netns exec "$LEG_NS" ip6tables-legacy-restore < kuma-v6.rules
ip netns exec "$NFT_NS" nft -f meshcap-table.nft
traffic "$NFT_NS"; traffic "$LEG_NS"
ip netns exec "$NFT_NS" iptables-nft-save -c > nft-v4-mixed.save
ip netns exec "$NFT_NS" ip6tables-nft-save -c > nft-v6-kuma.save
ip netns exec "$LEG_NS" iptables-legacy-save -c > legacy-v4-mixed.save
ip netns exec "$LEG_NS" ip6tables-legacy-save -c > legacy-v6-kuma.save
ip netns exec "$NFT_NS" nft -j list table inet meshcap > nft-meshcap-table.json
ip netns exec "$NFT_NS" nft -a list table inet meshcap > nft-meshcap-table.txt
