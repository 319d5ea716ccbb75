import type { Dataplane } from '../model/dataplane.ts';
import { parseResources } from '../model/parse.ts';
import type { PolicyResource } from '../model/policies/index.ts';
import { dataplaneYaml } from '../testing.ts';

/** Test-only builders; not exported from the package. */

export interface DataplaneSketch {
  name: string;
  address: string;
  mesh?: string;
  inbound?: Array<{ port: number; tags: Record<string, string>; name?: string }>;
  outbound?: Array<{ port: number; service: string }>;
  transparent?: boolean;
  reachableServices?: string[];
}

/** A validated Dataplane from a short description (its manifest written by the shared `dataplaneYaml`). */
export function dataplane(d: DataplaneSketch): Dataplane {
  const [dp] = parseResources(
    dataplaneYaml({
      mesh: d.mesh ?? 'default',
      name: d.name,
      address: d.address,
      inbound: d.inbound ?? [],
      outbound: d.outbound ?? [],
      ...(d.transparent && { transparentProxying: { redirectPortInbound: 15006, redirectPortOutbound: 15001, ...(d.reachableServices && { reachableServices: d.reachableServices }) } }),
    }),
  );
  return dp as Dataplane;
}

/** Validated policies from YAML. */
export function policyResources(yaml: string): PolicyResource[] {
  return parseResources(yaml) as unknown as PolicyResource[];
}

export const http = (service: string, extra: Record<string, string> = {}) => ({ 'kuma.io/service': service, 'kuma.io/protocol': 'http', ...extra });
