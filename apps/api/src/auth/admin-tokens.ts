import { MeshcapError } from '@meshcap/core';
import { randomBytes } from 'node:crypto';
import type { Store, TokenRecord } from '../store/index.ts';
import { isExpired } from './dataplane-tokens.ts';
import { randomSecret, secretsEqual, sha256Hex } from './secrets.ts';

/** Kuma's lifetime of the admin user token it bootstraps: 10 years. */
export const ADMIN_TOKEN_VALIDITY_MS = 87_600 * 3600_000;

const ISSUED_RE = /^mcadm_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
/** How long a verified record is trusted without asking the store again (and while the store is away). */
const CACHE_MS = 5_000;

/**
 * Admin tokens: the bootstrap one (MESHCAP_TOKEN, --token-file or `<data-dir>/admin-token`) and
 * the ones `POST /api/tokens/admin` issues (`mcadm_<id>_<secret>`). Each has a record in the store
 * — the bootstrap one is recorded the first time a control plane sees it, under the id
 * `adm-<first 12 hex of its SHA-256>` — with an expiry, and can be revoked like a dataplane token.
 */
export class AdminTokens {
  private readonly cache = new Map<string, { record: TokenRecord; at: number }>();

  constructor(
    private readonly store: Store,
    private readonly bootstrap: string,
    private readonly validForMs = ADMIN_TOKEN_VALIDITY_MS,
  ) {}

  static bootstrapId(token: string): string {
    return `adm-${sha256Hex(token).slice(0, 12)}`;
  }

  /** Records the bootstrap token (once; its expiry counts from then). Replicas may race: the first record wins. */
  async recordBootstrap(): Promise<TokenRecord> {
    const id = AdminTokens.bootstrapId(this.bootstrap);
    const existing = await this.store.getToken(id);
    if (existing) return existing;
    const expiresAt = new Date(Date.now() + this.validForMs).toISOString();
    try {
      return await this.store.createToken({ id, kind: 'admin', mesh: '', name: 'bootstrap', secretHash: sha256Hex(this.bootstrap), expiresAt });
    } catch (err) {
      const raced = await this.store.getToken(id);
      if (raced) return raced;
      throw err;
    }
  }

  async issue(name: string, validForMs = this.validForMs): Promise<{ token: string; id: string; expiresAt: string }> {
    const id = randomBytes(8).toString('hex');
    const secret = randomSecret();
    const expiresAt = new Date(Date.now() + validForMs).toISOString();
    await this.store.createToken({ id, kind: 'admin', mesh: '', name, secretHash: sha256Hex(secret), expiresAt });
    return { token: `mcadm_${id}_${secret}`, id, expiresAt };
  }

  /** Forgets what it trusted about `id` (after a revoke on this replica). */
  forget(id: string): void {
    this.cache.delete(id);
  }

  private async record(id: string): Promise<TokenRecord | undefined> {
    const hit = this.cache.get(id);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.record;
    let record: TokenRecord | undefined;
    try {
      record = await this.store.getToken(id);
    } catch (err) {
      // The store is away: what was verified a moment ago still holds (its expiry is checked below).
      if (hit) return hit.record;
      throw new MeshcapError('MESHCAP_ERR_STORE_UNAVAILABLE', `cannot check the token: the ${this.store.kind} store is not reachable (${(err as Error).message})`, [], { cause: err });
    }
    if (record) this.cache.set(id, { record, at: Date.now() });
    return record;
  }

  /** Undefined when `token` is a valid admin token; else the coded error to answer with. */
  async check(token: string): Promise<MeshcapError | undefined> {
    const issued = ISSUED_RE.exec(token);
    const id = issued ? issued[1]! : AdminTokens.bootstrapId(token);
    const secret = issued ? issued[2]! : token;
    const invalid = new MeshcapError('MESHCAP_ERR_UNAUTHORIZED', 'the token is not valid for this control plane');
    // The bootstrap token is compared in constant time before anything else.
    if (!issued && !secretsEqual(token, this.bootstrap)) return invalid;
    const record = await this.record(id);
    if (!record || record.kind !== 'admin' || !secretsEqual(sha256Hex(secret), record.secretHash)) return invalid;
    if (record.revokedAt !== null) return new MeshcapError('MESHCAP_ERR_UNAUTHORIZED', `the token ${id} was revoked at ${record.revokedAt}`);
    if (isExpired(record)) return new MeshcapError('MESHCAP_ERR_TOKEN_EXPIRED', `the token ${id} expired at ${record.expiresAt}; issue a new one (POST /api/tokens/admin with a valid token, or a new MESHCAP_TOKEN)`);
    return undefined;
  }
}
