import { randomBytes } from 'node:crypto';
import type { Store } from '../store/index.ts';
import { randomSecret, secretsEqual, sha256Hex } from './secrets.ts';

/** Who a dataplane token lets its holder be. */
export interface DataplaneIdentity {
  mesh: string;
  name: string;
  tokenId: string;
  /** The tag values the dataplane may claim, per tag; undefined: any (Kuma's token `tags`). */
  tags?: Record<string, string[]>;
}

/** Kuma's default lifetime of a dataplane token when none is asked for: 10 years. */
export const DATAPLANE_TOKEN_VALIDITY_MS = 87_600 * 3600_000;

const TOKEN_RE = /^mcdp_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** True when the record's expiry has passed. */
export function isExpired(record: { expiresAt: string | null }, now = Date.now()): boolean {
  return record.expiresAt !== null && Date.parse(record.expiresAt) <= now;
}

/**
 * Dataplane tokens, like kumactl's `generate dataplane-token`: `mcdp_<id>_<secret>`, bound to one
 * dataplane name in one mesh (and, when issued with tags, to the tag values it may claim), valid
 * for `validForMs` (Kuma's 10 years by default). The store keeps only the secret's SHA-256, so a
 * leaked database does not leak tokens; tokens can be revoked.
 */
export class DataplaneTokens {
  constructor(private readonly store: Store) {}

  async issue(mesh: string, name: string, opts: { validForMs?: number; tags?: Record<string, string[]> } = {}): Promise<{ token: string; id: string; expiresAt: string }> {
    const id = randomBytes(8).toString('hex');
    const secret = randomSecret();
    const expiresAt = new Date(Date.now() + (opts.validForMs ?? DATAPLANE_TOKEN_VALIDITY_MS)).toISOString();
    await this.store.createToken({ id, kind: 'dataplane', mesh, name, secretHash: sha256Hex(secret), expiresAt, tags: opts.tags ?? null });
    return { token: `mcdp_${id}_${secret}`, id, expiresAt };
  }

  /** The identity the token proves, or undefined for a malformed, unknown, revoked or expired token. */
  async verify(token: string): Promise<DataplaneIdentity | undefined> {
    const match = TOKEN_RE.exec(token.trim());
    if (!match) return undefined;
    const [, id, secret] = match as unknown as [string, string, string];
    const record = await this.store.getToken(id);
    if (!record || record.revokedAt !== null || record.kind !== 'dataplane' || isExpired(record)) return undefined;
    if (!secretsEqual(sha256Hex(secret), record.secretHash)) return undefined;
    return { mesh: record.mesh, name: record.name, tokenId: id, ...(record.tags ? { tags: record.tags } : {}) };
  }

  revoke(id: string): Promise<boolean> {
    return this.store.revokeToken(id);
  }
}
