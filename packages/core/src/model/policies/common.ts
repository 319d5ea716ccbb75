import { z } from 'zod';
import { resourceMeta, tags } from '../common.ts';
import { registerKind } from '../kinds.ts';

/**
 * Building blocks of Kuma's targetRef policies (kumahq/kuma api/common/v1alpha1 and
 * pkg/plugins/policies/<name>/api/v1alpha1): targetRef, durations, percentages, and the
 * `spec.targetRef` + `spec.from[]` / `spec.to[]` frame every policy shares.
 */

/** The targetRef kinds meshcap matches, in Kuma's specificity order (least specific first). */
export const TARGET_REF_KINDS = ['Mesh', 'MeshSubset', 'MeshService', 'MeshServiceSubset'] as const;
export type TargetRefKind = (typeof TARGET_REF_KINDS)[number];

/** Rank used to order policies: Mesh < MeshSubset < MeshService < MeshServiceSubset. */
export function targetRefRank(kind: TargetRefKind): number {
  return TARGET_REF_KINDS.indexOf(kind);
}

export interface TargetRef {
  kind: TargetRefKind;
  /** Service name for MeshService and MeshServiceSubset (the `kuma.io/service` tag). */
  name?: string;
  /** Tags for MeshSubset and MeshServiceSubset. */
  tags?: Record<string, string>;
  /** Kuma 2.6+: restrict Mesh/MeshSubset to `Sidecar` or `Gateway` proxies. meshcap proxies are sidecars. */
  proxyTypes?: Array<'Sidecar' | 'Gateway'>;
  /** Kubernetes namespace of a MeshService; accepted so Kuma manifests load, not used for matching. */
  namespace?: string;
  /** Top level only: the inbound's `name`, or its port as a string. */
  sectionName?: string;
}

// µ (micro sign, U+00B5) and μ (Greek mu, U+03BC) escaped: esbuild leaves a regex literal's characters
// as they are, and one non-ASCII character makes V8 hold the whole dataplane bundle two bytes a character.
/** Go's time.ParseDuration syntax, which Kuma's k8s Duration fields use: "5s", "100ms", "1m30s", "1.5h". */
const DURATION_RE = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+$/;
const DURATION_PART_RE = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/g;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in a Kuma duration ("5s" → 5000, "1m30s" → 90000, "0" → 0). Throws on a malformed one. */
export function durationToMs(text: string): number {
  if (text === '0') return 0;
  if (!DURATION_RE.test(text)) throw new RangeError(`not a duration: "${text}"`);
  let ms = 0;
  for (const [, value, unit] of text.matchAll(DURATION_PART_RE)) ms += Number(value) * (UNIT_MS[unit!] ?? 0);
  return ms;
}

const DURATION_MESSAGE = 'must be a duration such as "5s", "100ms", "1m" or "1h30m" (units ns, us, ms, s, m, h; not negative)';

/** A duration as Kuma writes it. Stays a string (as written); `durationToMs` converts. Negative durations are refused. */
export const durationSchema = z.string({ error: DURATION_MESSAGE }).refine((s) => s === '0' || DURATION_RE.test(s), { message: DURATION_MESSAGE, abort: true });

/** A duration that must be greater than zero (connection timeouts, rate-limit intervals). */
export function positiveDuration(min = '1ns'): z.ZodType<string> {
  const minMs = durationToMs(min);
  return durationSchema.refine((s) => DURATION_RE.test(s) && durationToMs(s) >= minMs, { message: `must be at least ${min}` });
}

/**
 * A percentage, 0–100: Kuma's IntOrString, so `50`, `"50"` and `"2.5"` all load. Normalised to a number.
 */
export const percentageSchema = z
  .union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/)], { error: 'must be a number between 0 and 100 (a decimal may be quoted: "2.5")' })
  .transform((v) => Number(v))
  .pipe(z.number().min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100'));

export const uint32Schema = z.number({ error: 'must be a whole number' }).int('must be a whole number').min(0, 'must not be negative').max(4_294_967_295, 'must fit in 32 bits');

export const httpStatusSchema = z.number({ error: 'must be an HTTP status code' }).int('must be a whole number').min(100, 'must be 100..599').max(599, 'must be 100..599');

/** HTTP header name/value pairs (`set` replaces, `add` appends), as MeshRateLimit and MeshHealthCheck write them. */
const headerKeyValue = z.strictObject({ name: z.string().min(1, 'must not be empty'), value: z.string() });
export const headerModifierSchema = z.strictObject({
  set: z.array(headerKeyValue).max(16, 'at most 16 headers').optional(),
  add: z.array(headerKeyValue).max(16, 'at most 16 headers').optional(),
});
export type HeaderModifier = z.infer<typeof headerModifierSchema>;

/** Kuma's HeaderMatch (MeshRetry's retriable headers). */
export const headerMatchSchema = z.strictObject({
  type: z.enum(['Exact', 'Present', 'RegularExpression', 'Absent', 'Prefix']).optional(),
  name: z.string().min(1, 'must not be empty'),
  value: z.string().optional(),
});
export type HeaderMatch = z.infer<typeof headerMatchSchema>;

type Position = 'top' | 'from' | 'to';

/**
 * A targetRef accepting `allowed` kinds. The checks follow Kuma's ValidateTargetRef: MeshService and
 * MeshServiceSubset need `name`; MeshSubset and MeshServiceSubset need `tags`; Mesh takes no tags.
 */
export function targetRefSchema(allowed: readonly TargetRefKind[], position: Position): z.ZodType<TargetRef> {
  const where = position === 'top' ? 'spec.targetRef' : `${position}[].targetRef`;
  return z
    .strictObject({
      kind: z.enum(allowed as [TargetRefKind, ...TargetRefKind[]], {
        error: (iss) => `kind ${JSON.stringify(iss.input)} is not supported in ${where}; use one of ${allowed.join(', ')}`,
      }),
      name: z.string().min(1, 'must not be empty').optional(),
      tags: tags.optional(),
      proxyTypes: z.array(z.enum(['Sidecar', 'Gateway'])).optional(),
      namespace: z.string().optional(),
      sectionName: z.string().min(1, 'must not be empty').optional(),
      mesh: z.string().optional(),
    })
    .superRefine((ref, ctx) => {
      const needsName = ref.kind === 'MeshService' || ref.kind === 'MeshServiceSubset';
      const needsTags = ref.kind === 'MeshSubset' || ref.kind === 'MeshServiceSubset';
      if (needsName && ref.name === undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: `is required for kind ${ref.kind}` });
      if (ref.kind === 'MeshSubset' && ref.name !== undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: 'must not be set for kind MeshSubset (use tags)' });
      if (needsTags && ref.tags === undefined) ctx.addIssue({ code: 'custom', path: ['tags'], message: `is required for kind ${ref.kind}` });
      if (!needsTags && ref.tags !== undefined) ctx.addIssue({ code: 'custom', path: ['tags'], message: `must not be set for kind ${ref.kind}` });
      if (ref.proxyTypes !== undefined && ref.kind !== 'Mesh' && ref.kind !== 'MeshSubset') {
        ctx.addIssue({ code: 'custom', path: ['proxyTypes'], message: 'is only allowed for kinds Mesh and MeshSubset' });
      }
      if (ref.sectionName !== undefined && position !== 'top') ctx.addIssue({ code: 'custom', path: ['sectionName'], message: 'is only supported in the top-level targetRef' });
    })
    .transform(({ mesh: _mesh, ...ref }) => ref as TargetRef);
}

export interface PolicyFrame<C extends z.ZodType> {
  type: string;
  conf: C;
  /** Kinds allowed in `spec.targetRef` (Kuma's sidecar support matrix, 2.6–2.8). */
  top?: readonly TargetRefKind[];
  /** Kinds allowed in `from[].targetRef`; undefined: the policy has no `from`. */
  from?: readonly TargetRefKind[];
  /** Kinds allowed in `to[].targetRef`; undefined: the policy has no `to`. */
  to?: readonly TargetRefKind[];
  /** Route kinds (MeshHTTPRoute, MeshTCPRoute): a `to[]` entry holds these `rules` instead of a `default`. */
  rules?: z.ZodType;
}

export interface PolicyEntry<C> {
  targetRef: TargetRef;
  default: C;
}

/** What one `to[]`/`from[]` entry contributes to the merge: its `default`, or (route kinds) `{ rules }`. */
export function entryConf(entry: PolicyEntry<unknown>): unknown {
  const rules = (entry as { rules?: unknown }).rules;
  return rules !== undefined ? { rules } : entry.default;
}

export interface PolicySpec<C> {
  /** Absent means the whole mesh (Kuma 2.9+ allows leaving it out). */
  targetRef?: TargetRef;
  from?: Array<PolicyEntry<C>>;
  to?: Array<PolicyEntry<C>>;
}

export interface PolicyResourceOf<T extends string, C> {
  type: T;
  name: string;
  mesh: string;
  labels?: Record<string, string>;
  creationTime?: string;
  modificationTime?: string;
  spec: PolicySpec<C>;
}

/** Refuses a section the policy does not have, naming what to use instead. */
function absent(message: string) {
  return z
    .unknown()
    .refine((v) => v === undefined, { message })
    .optional();
}

/** The resource schema of one policy type: metadata, top-level targetRef, and its `from`/`to` entries. */
export function policySchema<T extends string, C extends z.ZodType>(frame: PolicyFrame<C> & { type: T }): z.ZodType<PolicyResourceOf<T, z.output<C>>> {
  const top = frame.top ?? TARGET_REF_KINDS;
  const entry = (kinds: readonly TargetRefKind[], position: 'from' | 'to') =>
    frame.rules && position === 'to'
      ? z.strictObject({ targetRef: targetRefSchema(kinds, position), rules: frame.rules })
      : z.strictObject({ targetRef: targetRefSchema(kinds, position), default: frame.conf });
  const spec = z
    .strictObject({
      targetRef: targetRefSchema(top, 'top').optional(),
      from: frame.from
        ? z.array(entry(frame.from, 'from')).optional()
        : absent(`${frame.type} has no "from" section: it configures outgoing traffic, use "to"`),
      to: frame.to
        ? z.array(entry(frame.to, 'to')).optional()
        : absent(`${frame.type} has no "to" section: it configures incoming traffic, use "from"`),
    })
    .superRefine((s, ctx) => {
      const from = (s.from as unknown[] | undefined) ?? [];
      const to = (s.to as unknown[] | undefined) ?? [];
      if (from.length === 0 && to.length === 0) {
        const sections = [frame.from && '"from"', frame.to && '"to"'].filter(Boolean).join(' or ');
        ctx.addIssue({ code: 'custom', path: [], message: `needs at least one entry in ${sections}` });
      }
    });
  return z.looseObject({
    type: z.literal(frame.type),
    ...resourceMeta,
    spec,
  }) as unknown as z.ZodType<PolicyResourceOf<T, z.output<C>>>;
}

/**
 * A policy kind: its resource schema (`policySchema`), registered as a mesh-scoped policy kind so the
 * parser, store and API know it. Each kind's `schema.ts` calls this once, at import.
 */
export function policyKind<T extends string, C extends z.ZodType>(frame: PolicyFrame<C> & { type: T }): z.ZodType<PolicyResourceOf<T, z.output<C>>> {
  const schema = policySchema(frame);
  registerKind({ type: frame.type, schema, meshScoped: true, policy: true });
  return schema;
}
