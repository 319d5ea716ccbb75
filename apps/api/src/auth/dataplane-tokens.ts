import { randomBytes } from 'node:crypto';
import type { Store } from '../store/index.ts';
import { randomSecret, secretsEqual, sha256Hex } from './secrets.ts';

/** Who a dataplane token lets its holder be. */
export interface DataplaneIdentity {
  mesh: string;
  name: string;
  tokenId: string;
}

const TOKEN_RE = /^mcdp_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/**
 * Dataplane tokens, like kumactl's `generate dataplane-token`: `mcdp_<id>_<secret>`, bound to one
 * dataplane name in one mesh. The store keeps only the secret's SHA-256, so a leaked database
 * does not leak tokens; tokens can be revoked.
 */
export class DataplaneTokens {
  constructor(private readonly store: Store) {}

  async issue(mesh: string, name: string): Promise<{ token: string; id: string }> {
    const id = randomBytes(8).toString('hex');
    const secret = randomSecret();
    await this.store.createToken({ id, kind: 'dataplane', mesh, name, secretHash: sha256Hex(secret) });
    return { token: `mcdp_${id}_${secret}`, id };
  }

  /** The identity the token proves, or undefined for a malformed, unknown or revoked token. */
  async verify(token: string): Promise<DataplaneIdentity | undefined> {
    const match = TOKEN_RE.exec(token.trim());
    if (!match) return undefined;
    const [, id, secret] = match as unknown as [string, string, string];
    const record = await this.store.getToken(id);
    if (!record || record.revokedAt !== null || record.kind !== 'dataplane') return undefined;
    if (!secretsEqual(sha256Hex(secret), record.secretHash)) return undefined;
    return { mesh: record.mesh, name: record.name, tokenId: id };
  }

  revoke(id: string): Promise<boolean> {
    return this.store.revokeToken(id);
  }
}
