import type { ErrorIssue } from '../../errors.ts';

/**
 * A route (MeshHTTPRoute, MeshTCPRoute) may only send to services the mesh has: a backendRef naming
 * a service no Dataplane provides would make a cluster with no endpoints, so the apply is refused
 * with the field path. (Kuma accepts it; meshcap refuses, as its issue 15 asks.)
 */
export function unknownRouteBackends(resource: { type: string; spec?: unknown }, services: ReadonlySet<string>): ErrorIssue[] {
  if (resource.type !== 'MeshHTTPRoute' && resource.type !== 'MeshTCPRoute') return [];
  const issues: ErrorIssue[] = [];
  const to = (resource.spec as { to?: Array<{ rules?: Array<{ default?: { backendRefs?: Array<{ name: string }> } }> }> } | undefined)?.to ?? [];
  to.forEach((entry, i) =>
    (entry.rules ?? []).forEach((rule, j) =>
      (rule.default?.backendRefs ?? []).forEach((ref, k) => {
        if (!services.has(ref.name)) {
          issues.push({ path: `spec.to[${i}].rules[${j}].default.backendRefs[${k}].name`, message: `service "${ref.name}" does not exist in the mesh (no Dataplane provides it)` });
        }
      }),
    ),
  );
  return issues;
}
