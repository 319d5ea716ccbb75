import { SERVICE_TAG } from '../model/common.ts';
import {
  inboundAddress,
  inboundListenerName,
  isTransparent,
  outboundListenerName,
  protocolOf,
  serviceOf,
  type Dataplane,
  type DataplaneInbound,
} from '../model/dataplane.ts';
import { targetRefRank, type PolicyResource, type TargetRef } from '../model/policies/index.ts';
import type { Protocol } from '../model/common.ts';
import type { Endpoint } from './types.ts';

/**
 * Which proxies, inbounds and outbounds a policy reaches (Kuma docs, "Understanding TargetRef
 * policies › Writing a targetRef"): the top-level targetRef is matched against each inbound's tags;
 * `from` entries apply to the inbounds it selects, `to` entries to the outbounds of every dataplane it
 * selects.
 */

const MESH_REF: TargetRef = { kind: 'Mesh' };

export function topLevelTargetRef(policy: PolicyResource): TargetRef {
  return policy.spec.targetRef ?? MESH_REF;
}

function hasTags(have: Record<string, string>, want: Record<string, string> | undefined): boolean {
  return Object.entries(want ?? {}).every(([k, v]) => have[k] === v);
}

/** meshcap proxies are sidecars: `proxyTypes: [Gateway]` selects none of them. */
function selectsSidecars(ref: TargetRef): boolean {
  return ref.proxyTypes === undefined || ref.proxyTypes.length === 0 || ref.proxyTypes.includes('Sidecar');
}

/** Inbounds Kuma leaves out of the config (`state: Ignored`). */
export function activeInbounds(dp: Dataplane): DataplaneInbound[] {
  return dp.networking.inbound.filter((ib) => ib.state !== 'Ignored');
}

/** Whether a top-level targetRef selects this inbound. */
export function selectsInbound(ref: TargetRef, inbound: DataplaneInbound): boolean {
  if (!selectsSidecars(ref)) return false;
  if (ref.sectionName !== undefined && ref.sectionName !== inbound.name && ref.sectionName !== String(inbound.port)) return false;
  switch (ref.kind) {
    case 'Mesh':
      return true;
    case 'MeshSubset':
      return hasTags(inbound.tags, ref.tags);
    case 'MeshService':
      return inbound.tags[SERVICE_TAG] === ref.name;
    case 'MeshServiceSubset':
      return inbound.tags[SERVICE_TAG] === ref.name && hasTags(inbound.tags, ref.tags);
  }
}

/** Whether a top-level targetRef selects the dataplane (Mesh: all of them; others: through an inbound). */
export function selectsDataplane(ref: TargetRef, dp: Dataplane): boolean {
  if (ref.kind === 'Mesh' && ref.sectionName === undefined) return selectsSidecars(ref);
  return activeInbounds(dp).some((ib) => selectsInbound(ref, ib));
}

/** Whether a `to[].targetRef` names this destination service (Mesh: every one). */
export function toEntryNames(ref: TargetRef, service: string): boolean {
  return ref.kind === 'Mesh' || (ref.kind === 'MeshService' && ref.name === service);
}

/**
 * Kuma's policy order (targetRef docs, "Merging configuration"): top-level targetRef kind (Mesh <
 * MeshSubset < MeshService < MeshServiceSubset), then name in lexicographic order; merged in this
 * order, so on a tie the later name wins. (Kuma ≥2.9's resource rules compare names the other way
 * round; meshcap follows the documented order.)
 */
export function comparePolicies(a: PolicyResource, b: PolicyResource): number {
  const rank = targetRefRank(topLevelTargetRef(a).kind) - targetRefRank(topLevelTargetRef(b).kind);
  if (rank !== 0) return rank;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** An outbound of a dataplane: a declared one (with a listener), or a service it reaches transparently. */
export interface OutboundTarget {
  service: string;
  listener?: string;
  address?: string;
  port?: number;
  declaredProtocol?: Protocol;
}

/** Services provided in the mesh (by any inbound of any dataplane), sorted. */
export function meshServices(dataplanes: readonly Dataplane[]): string[] {
  const services = new Set<string>();
  for (const dp of dataplanes) for (const ib of activeInbounds(dp)) services.add(ib.tags[SERVICE_TAG]!);
  return [...services].sort();
}

/**
 * The outbounds of a dataplane: those it declares, plus — with transparent proxying, as Kuma
 * generates them — every service of the mesh (limited to `reachableServices` when set).
 */
export function outboundTargets(dp: Dataplane, services: readonly string[]): OutboundTarget[] {
  const out: OutboundTarget[] = [];
  const declared = new Set<string>();
  for (const ob of dp.networking.outbound) {
    const service = serviceOf(ob.tags) ?? ob.backendRef?.name;
    if (service === undefined) continue;
    declared.add(service);
    const declaredProtocol = ob.tags?.['kuma.io/protocol'] !== undefined ? protocolOf(ob.tags) : undefined;
    out.push({ service, listener: outboundListenerName(ob), address: ob.address ?? '127.0.0.1', port: ob.port, ...(declaredProtocol ? { declaredProtocol } : {}) });
  }
  if (isTransparent(dp)) {
    const reachable = dp.networking.transparentProxying?.reachableServices;
    for (const service of services) {
      if (declared.has(service) || (reachable !== undefined && reachable.length > 0 && !reachable.includes(service))) continue;
      out.push({ service });
    }
  }
  return out;
}

function isReady(ib: DataplaneInbound): boolean {
  return ib.health?.ready !== false && ib.state !== 'NotReady';
}

/** Ready endpoints of each service in the mesh, sorted by dataplane then port. */
export function endpointsByService(dataplanes: readonly Dataplane[]): Map<string, Endpoint[]> {
  const out = new Map<string, Endpoint[]>();
  for (const dp of dataplanes) {
    for (const ib of activeInbounds(dp)) {
      if (!isReady(ib)) continue;
      const service = ib.tags[SERVICE_TAG]!;
      const list = out.get(service) ?? [];
      list.push({ dataplane: dp.name, address: inboundAddress(dp, ib), port: ib.port, tags: ib.tags });
      out.set(service, list);
    }
  }
  for (const list of out.values()) list.sort((a, b) => (a.dataplane < b.dataplane ? -1 : a.dataplane > b.dataplane ? 1 : a.port - b.port));
  return out;
}

/** Kuma: a service's protocol is its inbounds' `kuma.io/protocol` when they agree, tcp otherwise. */
export function serviceProtocol(endpoints: readonly Endpoint[], declared: Protocol | undefined): Protocol {
  const protocols = new Set(endpoints.map((e) => protocolOf(e.tags)));
  if (protocols.size === 1) return [...protocols][0]!;
  if (protocols.size > 1) return 'tcp';
  return declared ?? 'tcp';
}

/** Where one policy's entries land on one dataplane. */
export interface Attachment {
  inbounds: Array<{ inbound: DataplaneInbound; listener: string; entries: number[] }>;
  outbounds: Array<{ target: OutboundTarget; entries: number[] }>;
}

export function attachment(policy: PolicyResource, dp: Dataplane, outbounds: readonly OutboundTarget[]): Attachment {
  const ref = topLevelTargetRef(policy);
  const result: Attachment = { inbounds: [], outbounds: [] };
  if (!selectsDataplane(ref, dp)) return result;
  const from = policy.spec.from ?? [];
  if (from.length > 0) {
    for (const inbound of activeInbounds(dp)) {
      if (selectsInbound(ref, inbound)) result.inbounds.push({ inbound, listener: inboundListenerName(dp, inbound), entries: from.map((_, i) => i) });
    }
  }
  const to = policy.spec.to ?? [];
  for (const target of outbounds) {
    const entries = to.flatMap((e, i) => (toEntryNames(e.targetRef, target.service) ? [i] : []));
    if (entries.length > 0) result.outbounds.push({ target, entries });
  }
  return result;
}
