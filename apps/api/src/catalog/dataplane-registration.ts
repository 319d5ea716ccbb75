import { formatIssue, MeshcapError, parseResourceObject, type Dataplane, type MeshcapErrorCode } from '@meshcap/core';
import type { DataplaneIdentity } from '../auth/index.ts';
import type { MeshCatalog } from './mesh-catalog.ts';

/** Why a registration was refused: a code and a sentence for the dataplane and its status. */
export class RegistrationRefused extends Error {
  constructor(
    readonly code: MeshcapErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function describeError(err: unknown): string {
  if (err instanceof MeshcapError) return err.issues.length ? err.issues.map(formatIssue).join('; ') : err.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * A dataplane that brings its own Dataplane resource (the channel's hello, or `dataplane.resource`
 * in its xDS node metadata as kuma-dp sends it) is registered: the resource is validated and
 * stored like an applied one, and must be the one its token names. Throws RegistrationRefused.
 */
export async function registerDataplane(catalog: MeshCatalog, identity: DataplaneIdentity, raw: Record<string, unknown>, source: string): Promise<void> {
  let resource;
  try {
    resource = parseResourceObject({ mesh: identity.mesh, ...raw }, { source });
  } catch (err) {
    throw new RegistrationRefused('MESHCAP_ERR_INVALID_RESOURCE', `invalid Dataplane: ${describeError(err)}`);
  }
  if (resource.type !== 'Dataplane') throw new RegistrationRefused('MESHCAP_ERR_INVALID_RESOURCE', `${source} must carry a Dataplane, not a ${resource.type}`);
  if (resource.name !== identity.name || (resource.mesh ?? 'default') !== identity.mesh) {
    throw new RegistrationRefused(
      'MESHCAP_ERR_FORBIDDEN',
      `this token is for dataplane "${identity.name}" in mesh "${identity.mesh}"; it cannot act as "${resource.name}" in mesh "${resource.mesh ?? 'default'}"`,
    );
  }
  checkTokenTags(identity, resource as Dataplane);
  try {
    await catalog.apply([{ resource, source: JSON.stringify(raw, null, 2) }]);
  } catch (err) {
    throw new RegistrationRefused(err instanceof MeshcapError ? err.code : 'MESHCAP_ERR_INTERNAL', `cannot register dataplane: ${describeError(err)}`);
  }
}

/**
 * A token issued with tags (Kuma's `--tag kuma.io/service=backend`) lets its dataplane claim only
 * those values: every inbound carrying one of those tags must carry an allowed value, so a token
 * for `backend` cannot serve as `payments` even under its own name. Throws RegistrationRefused.
 */
export function checkTokenTags(identity: DataplaneIdentity, dataplane: Dataplane): void {
  if (!identity.tags) return;
  for (const inbound of dataplane.networking.inbound ?? []) {
    for (const [tag, allowed] of Object.entries(identity.tags)) {
      const value = inbound.tags[tag];
      if (value !== undefined && !allowed.includes(value)) {
        throw new RegistrationRefused('MESHCAP_ERR_FORBIDDEN', `this token allows ${tag} ${allowed.map((v) => `"${v}"`).join(' or ')}; dataplane "${identity.name}" claims "${value}" on inbound port ${inbound.port}`);
      }
    }
  }
}
