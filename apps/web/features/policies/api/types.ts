/** Response shapes of the policy routes (realign with apps/api/API.md). */
import type { Direction } from '../../dataplanes/api/types.ts';

export interface PolicyRef {
  type: string;
  name: string;
}

/** A policy that contributed to an effective conf, in merge order. */
export interface PolicyOrigin extends PolicyRef {
  /** targetRef kind of the policy (Mesh, MeshSubset, MeshService, MeshServiceSubset). */
  targetRef?: { kind: string; name?: string; tags?: Record<string, string> };
  /** Index of the `from[]`/`to[]` entry that matched. */
  ruleIndex?: number;
  enabled: boolean;
}

/** One policy type's effective conf on one inbound/outbound. */
export interface EffectivePolicy {
  type: string;
  conf: unknown;
  origins: PolicyOrigin[];
}

/** An inbound (policies `from`) or outbound (policies `to`) with what applies to it. */
export interface PolicyAttachment {
  direction: Direction;
  /** Listener name, e.g. `inbound:198.18.0.2:5000`. */
  listener: string;
  service?: string;
  port: number;
  policies: EffectivePolicy[];
}

/** A policy that matches this dataplane, with its per-dataplane toggle. */
export interface MatchedPolicy extends PolicyRef {
  enabled: boolean;
  /** Listener names where it applies. */
  where: string[];
}

/** `GET /api/meshes/{mesh}/dataplanes/{name}/policies`. */
export interface DataplanePolicies {
  configVersion: string | null;
  policies: MatchedPolicy[];
  attachments: PolicyAttachment[];
  warnings: string[];
}

/** Answer of `PUT .../dataplanes/{name}/policies/{type}/{policy}`. */
export interface PolicyToggleResult extends PolicyRef {
  enabled: boolean;
  configVersion: string | null;
}

/** One row of `GET /api/meshes/{mesh}/policies`. */
export interface MeshPolicy extends PolicyRef {
  mesh: string;
  targetRef?: { kind: string; name?: string; tags?: Record<string, string> };
  spec?: unknown;
}

export interface MeshPolicyList {
  total: number;
  items: MeshPolicy[];
}

/** One row of `GET /api/meshes/{mesh}/policies/{type}/{name}/dataplanes`: a dataplane and where the policy applies. */
export interface AffectedDataplane {
  mesh: string;
  dataplane: string;
  enabled: boolean;
  where: { direction: Direction; listener: string }[];
}

export interface AffectedDataplaneList {
  items: AffectedDataplane[];
}
