import type { ClusterRuntime } from '../../proxy/context.ts';
import { fields, int, list, reject, str } from '../../proxy/xds-config/reader.ts';
import type { HashPolicyConfig } from '../mesh-load-balancing-strategy/decode.ts';

/**
 * MeshTCPRoute enforced by meshcap dp from the tcp_proxy it received: each connection goes to one
 * of `weighted_clusters` by weight (and a hashing balancer gets the source address as its key).
 */

export interface TcpRouteConfig {
  clusters: Array<{ name: string; weight: number }>;
  hashPolicy?: HashPolicyConfig[];
}

export function decodeTcpWeightedClusters(value: unknown, where: string): Array<{ name: string; weight: number }> {
  const w = fields(value, where, ['clusters']);
  const out = list(w['clusters'], `${where}.clusters`).map((c, i) => {
    const o = fields(c, `${where}.clusters[${i}]`, ['name', 'weight']);
    return { name: str(o['name'], `${where}.clusters[${i}].name`), weight: int(o['weight'] ?? 0, `${where}.clusters[${i}].weight`) };
  });
  if (out.reduce((s, c) => s + c.weight, 0) <= 0) reject(`${where}.clusters`, 'the weights must sum to more than 0');
  return out.filter((c) => c.weight > 0);
}

/** The split a listener runs, its clusters resolved. */
export class TcpSplit {
  private readonly clusters: Array<{ runtime: ClusterRuntime; weight: number }>;
  private readonly total: number;

  constructor(
    config: TcpRouteConfig,
    clusterOf: (name: string) => ClusterRuntime,
    /** The MeshTCPRoute credited on the flow. */
    readonly policy: string | undefined,
  ) {
    this.clusters = config.clusters.map((c) => ({ runtime: clusterOf(c.name), weight: c.weight }));
    this.total = this.clusters.reduce((s, c) => s + c.weight, 0);
    this.hashesSource = (config.hashPolicy ?? []).some((h) => h.kind === 'sourceIp');
  }

  readonly hashesSource: boolean;

  /** A cluster by weight (`r` uniform in [0, 1)). */
  pick(r: number): ClusterRuntime {
    let x = r * this.total;
    for (const c of this.clusters) {
      if (x < c.weight) return c.runtime;
      x -= c.weight;
    }
    return this.clusters[this.clusters.length - 1]!.runtime;
  }

  get split(): boolean {
    return this.clusters.length > 1;
  }
}
