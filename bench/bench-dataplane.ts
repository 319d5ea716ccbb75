// The Dataplane manifests of the bench's namespaces, in Kuma's YAML: the parts (h2, mtls, the
// proxy part in run.ts) each describe which services a namespace runs and calls, not the YAML.

/** A service the namespace runs; `protocol` is its kuma.io/protocol (none: tcp). */
export interface BenchInbound {
  port: number;
  service: string;
  protocol?: 'http' | 'http2' | 'grpc';
}

/** A service the namespace calls, at `address`. */
export interface BenchOutbound {
  port: number;
  address: string;
  service: string;
}

/** One namespace's Dataplane under the bench's transparent proxying (IPv4 capture rules). */
export function benchDataplane(name: string, address: string, ports: { inbound?: readonly BenchInbound[]; outbound?: readonly BenchOutbound[] }): string {
  const lines = ['type: Dataplane', 'mesh: default', `name: ${name}`, 'networking:', `  address: ${address}`];
  if (ports.inbound?.length) {
    lines.push('  inbound:', ...ports.inbound.map((p) => `    - { port: ${p.port}, tags: { kuma.io/service: ${p.service}${p.protocol ? `, kuma.io/protocol: ${p.protocol}` : ''} } }`));
  }
  if (ports.outbound?.length) {
    lines.push('  outbound:', ...ports.outbound.map((p) => `    - { port: ${p.port}, address: ${p.address}, tags: { kuma.io/service: ${p.service} } }`));
  }
  lines.push('  transparentProxying: { ipFamilyMode: IPv4 }', '');
  return lines.join('\n');
}
