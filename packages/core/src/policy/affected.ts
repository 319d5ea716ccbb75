import type { Dataplane } from '../model/dataplane.ts';
import type { PolicyResource } from '../model/policies/index.ts';
import { attachment, meshServices, outboundTargets } from './matching.ts';
import type { AffectedDataplane } from './types.ts';

/**
 * The inverse of matching: the dataplanes a policy affects and where — the inbound listeners its
 * `from` entries apply to, the outbound services its `to` entries name. `dataplanes` are all the
 * dataplanes of the policy's mesh (transparent dataplanes reach every service of the mesh).
 * `isEnabled` reports toggles; without it every dataplane is `enabled: true`.
 */
export function affectedDataplanes(
  policy: PolicyResource,
  dataplanes: readonly Dataplane[],
  isEnabled: (dataplane: string) => boolean = () => true,
): AffectedDataplane[] {
  const services = meshServices(dataplanes);
  const out: AffectedDataplane[] = [];
  for (const dp of [...dataplanes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (dp.mesh !== policy.mesh) continue;
    const att = attachment(policy, dp, outboundTargets(dp, services));
    if (att.inbounds.length === 0 && att.outbounds.length === 0) continue;
    out.push({
      mesh: dp.mesh,
      dataplane: dp.name,
      enabled: isEnabled(dp.name),
      inbounds: att.inbounds.map((a) => ({ listener: a.listener, entries: a.entries })),
      outbounds: att.outbounds.map((a) => ({ service: a.target.service, ...(a.target.listener !== undefined ? { listener: a.target.listener } : {}), entries: a.entries })),
    });
  }
  return out;
}
