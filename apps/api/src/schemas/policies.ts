import { z } from 'zod';

export const targetRef = z.object({
  kind: z.string(),
  name: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  proxyTypes: z.array(z.string()).optional(),
  namespace: z.string().optional(),
  sectionName: z.string().optional(),
}).meta({ id: 'TargetRef' });

/** One `from[]`/`to[]` entry that matched, in merge order. */
export const policyOrigin = z.object({
  type: z.string(),
  name: z.string(),
  mesh: z.string(),
  targetRefKind: z.string(),
  section: z.enum(['from', 'to']),
  entry: z.number().int(),
  entryTargetRef: targetRef,
  enabled: z.boolean(),
}).meta({ id: 'PolicyOrigin' });

export const subsetTag = z.object({ key: z.string(), value: z.string(), not: z.boolean() }).meta({ id: 'SubsetTag' });

export const effectivePolicy = z.object({
  type: z.string(),
  /**
   * Inbound: one conf per client subset, first match wins (`subset: []` = any client).
   * Outbound: one rule with the merged conf. No rule: every matching entry is toggled off.
   */
  rules: z.array(z.object({ subset: z.array(subsetTag), conf: z.unknown(), origins: z.array(policyOrigin) })),
  /** Every entry that matched, enabled or not. */
  origins: z.array(policyOrigin),
}).meta({ id: 'EffectivePolicy' });

export const policyAttachment = z.object({
  direction: z.enum(['inbound', 'outbound']),
  /** Inbound listener name, or the declared outbound listener (absent for services reached transparently). */
  listener: z.string().optional(),
  service: z.string(),
  port: z.number().int().optional(),
  protocol: z.string(),
  policies: z.array(effectivePolicy),
}).meta({ id: 'PolicyAttachment' });

export const matchedPolicy = z.object({
  type: z.string(),
  name: z.string(),
  mesh: z.string(),
  targetRef,
  enabled: z.boolean(),
  /** Inbound listeners its `from` entries apply to. */
  inbounds: z.array(z.string()),
  /** Outbound services its `to` entries apply to. */
  outbounds: z.array(z.string()),
  /** Listener names and services, together (what the dashboard lists as "where"). */
  where: z.array(z.string()),
}).meta({ id: 'MatchedPolicy' });

export const policyWarning = z
  .object({
    code: z.string(),
    message: z.string(),
    policy: z.object({ type: z.string(), name: z.string(), mesh: z.string() }).optional(),
    inbound: z.string().optional(),
    outbound: z.string().optional(),
  })
  .meta({ id: 'PolicyWarning' });

export const dataplanePolicies = z.object({
  mesh: z.string(),
  dataplane: z.string(),
  configVersion: z.string(),
  policies: z.array(matchedPolicy),
  attachments: z.array(policyAttachment),
  warnings: z.array(policyWarning),
}).meta({ id: 'DataplanePolicies' });

export const toggleBody = z.strictObject({ enabled: z.boolean() });
export const toggleParams = z.object({ mesh: z.string(), name: z.string(), type: z.string(), policy: z.string() });
export const toggleResult = z.object({
  mesh: z.string(),
  dataplane: z.string(),
  type: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  /** The dataplane's config version after the change (unchanged when the toggle already had this value). */
  configVersion: z.string(),
}).meta({ id: 'PolicyToggleResult' });

export const meshPolicy = z.object({
  type: z.string(),
  name: z.string(),
  mesh: z.string(),
  targetRef,
  spec: z.unknown(),
  creationTime: z.string(),
  modificationTime: z.string(),
  /** Dataplanes it matches, and how many of them have it toggled off. */
  dataplanes: z.object({ total: z.number().int(), disabled: z.number().int() }),
}).meta({ id: 'MeshPolicy' });
export const meshPolicyList = z.object({ total: z.number().int(), items: z.array(meshPolicy) }).meta({ id: 'MeshPolicyList' });

export const affectedDataplane = z.object({
  mesh: z.string(),
  dataplane: z.string(),
  enabled: z.boolean(),
  inbounds: z.array(z.object({ listener: z.string(), entries: z.array(z.number().int()) })),
  outbounds: z.array(z.object({ service: z.string(), listener: z.string().optional(), entries: z.array(z.number().int()) })),
  where: z.array(z.object({ direction: z.enum(['inbound', 'outbound']), listener: z.string() })),
}).meta({ id: 'AffectedDataplane' });
export const affectedDataplaneList = z.object({ total: z.number().int(), items: z.array(affectedDataplane) }).meta({ id: 'AffectedDataplaneList' });
export const policyParams = z.object({ mesh: z.string(), type: z.string(), name: z.string() });
