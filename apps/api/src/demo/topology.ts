import { deleteNetnsSync } from './leftovers.ts';
import { runCommand } from './system.ts';

/**
 * The demo's network: one namespace per workload, like pods, each with an `eth0` joined by a veth
 * to a bridge that lives in a namespace of its own (`<id>-net`), so nothing is added to the root
 * namespace. Addresses come from the benchmarking ranges only (198.18.0.0/15, 2001:2::/48).
 */
export const DEMO_IPV4_SUBNET = '198.18.10.0/24';
export const DEMO_IPV6_SUBNET = '2001:2:0:a::/64';

export const WORKLOADS = ['frontend', 'backend', 'client'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

const HOST_NUMBER: Record<WorkloadName, number> = { frontend: 2, backend: 3, client: 4 };

export interface WorkloadNetwork {
  name: WorkloadName;
  netns: string;
  ipv4: string;
  ipv6: string;
}

export interface Topology {
  /** Namespace holding the bridge. */
  bridgeNetns: string;
  workloads: Record<WorkloadName, WorkloadNetwork>;
}

export function planTopology(demoId: string): Topology {
  const workloads = Object.fromEntries(
    WORKLOADS.map((name) => [
      name,
      { name, netns: `${demoId}-${name}`, ipv4: `198.18.10.${HOST_NUMBER[name]}`, ipv6: `2001:2:0:a::${HOST_NUMBER[name]}` },
    ]),
  ) as Record<WorkloadName, WorkloadNetwork>;
  return { bridgeNetns: `${demoId}-net`, workloads };
}

/** Every namespace of the topology, bridge last. */
export function topologyNamespaces(t: Topology): string[] {
  return [...WORKLOADS.map((w) => t.workloads[w].netns), t.bridgeNetns];
}

async function inNetns(netns: string, file: string, args: readonly string[]): Promise<void> {
  await runCommand('ip', ['netns', 'exec', netns, file, ...args]);
}

/** Creates the namespaces, the bridge and the veths, addressed and up. On failure removes what it made. */
export async function createTopology(t: Topology): Promise<void> {
  try {
    await runCommand('ip', ['netns', 'add', t.bridgeNetns]);
    await inNetns(t.bridgeNetns, 'ip', ['link', 'set', 'lo', 'up']);
    await inNetns(t.bridgeNetns, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
    await inNetns(t.bridgeNetns, 'ip', ['link', 'set', 'br0', 'up']);
    for (const name of WORKLOADS) {
      const w = t.workloads[name];
      await runCommand('ip', ['netns', 'add', w.netns]);
      // IPv6 addresses usable at once (no duplicate address detection wait).
      await inNetns(w.netns, 'sysctl', ['-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
      await inNetns(w.netns, 'ip', ['link', 'set', 'lo', 'up']);
      // The veth is made with one end in each namespace; the bridge side is named after the workload.
      await runCommand('ip', ['link', 'add', 'eth0', 'netns', w.netns, 'type', 'veth', 'peer', 'name', name, 'netns', t.bridgeNetns]);
      await inNetns(t.bridgeNetns, 'ip', ['link', 'set', name, 'master', 'br0']);
      await inNetns(t.bridgeNetns, 'ip', ['link', 'set', name, 'up']);
      await inNetns(w.netns, 'ip', ['addr', 'add', `${w.ipv4}/24`, 'dev', 'eth0']);
      await inNetns(w.netns, 'ip', ['addr', 'add', `${w.ipv6}/64`, 'dev', 'eth0', 'nodad']);
      await inNetns(w.netns, 'ip', ['link', 'set', 'eth0', 'up']);
    }
    // A veth carries traffic once both ends report carrier; wait for it (bounded).
    for (const name of WORKLOADS) {
      await inNetns(t.workloads[name].netns, 'sh', ['-c', 'for i in $(seq 100); do [ "$(cat /sys/class/net/eth0/operstate)" = up ] && exit 0; sleep 0.05; done; exit 1']);
    }
  } catch (err) {
    destroyTopologySync(t);
    throw err;
  }
}

/** Kills whatever still runs in the namespaces and deletes them (veths and rules go with them). */
export function destroyTopologySync(t: Topology): void {
  for (const ns of topologyNamespaces(t)) deleteNetnsSync(ns);
}
