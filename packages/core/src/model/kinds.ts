import type { z } from 'zod';
import { dataplaneSchema } from './dataplane.ts';
import { meshSchema } from './mesh.ts';

/** A resource type meshcap stores: its schema (universal format) and whether it lives in a mesh. */
export interface ResourceKind {
  type: string;
  schema: z.ZodType<{ type: string; name: string }>;
  /** Mesh-scoped resources have a `mesh` field; `Mesh` itself is global. */
  meshScoped: boolean;
  /** For targetRef policies: true. */
  policy: boolean;
}

const kinds = new Map<string, ResourceKind>();

/** Adds a resource type. Policy modules call this once at import. */
export function registerKind(kind: ResourceKind): void {
  kinds.set(kind.type, kind);
}

export function resourceKind(type: string): ResourceKind | undefined {
  return kinds.get(type);
}

export function resourceKinds(): ResourceKind[] {
  return [...kinds.values()];
}

registerKind({ type: 'Mesh', schema: meshSchema, meshScoped: false, policy: false });
registerKind({ type: 'Dataplane', schema: dataplaneSchema, meshScoped: true, policy: false });
