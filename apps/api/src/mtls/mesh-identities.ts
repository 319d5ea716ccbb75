import {
  createBuiltinCa,
  issueDataplaneCertificate,
  mtlsSecrets,
  parseKumaDuration,
  rotationTime,
  summarizeCertificate,
  type CaMaterial,
  type CertificateSummary,
  type DataplanePolicies,
  type EnvoyMessage,
  type IssuedCertificate,
  type MeshMtls,
} from '@meshcap/core';
import type { Store } from '../store/index.ts';

/**
 * The control plane's builtin CA: one CA per mesh and builtin backend, kept in the store (created
 * once, shared by replicas; the key never leaves the control plane: no route returns it, nothing
 * logs it), and per dataplane a leaf certificate with its SPIFFE identity, delivered over SDS and
 * re-issued at 4/5 of its lifetime (Kuma's rotation). The trust bundle carries the CA of every
 * builtin backend of the mesh, so changing `enabledBackend` (a CA rotation) is without outage.
 * Certificates are made off the request path: a dataplane whose certificate is not ready yet is
 * sent nothing new until it is (as Envoy keeps a listener warming until its secrets arrive).
 */

export interface DataplaneCertificate {
  mesh: string;
  dataplane: string;
  backend: string;
  mode: MeshMtls['mode'];
  certificate: CertificateSummary;
  /** When the control plane issues the next one (4/5 of the lifetime). */
  nextRotation: string;
}

export interface MeshCaSummary {
  mesh: string;
  backend: string;
  enabled: boolean;
  mode: MeshMtls['mode'];
  certificate: CertificateSummary;
}

interface Leaf {
  issued: IssuedCertificate;
  /** What the certificate was made for (backend, identity, lifetime): a change needs a new one. */
  signature: string;
  backend: string;
  mode: MeshMtls['mode'];
  timer?: NodeJS.Timeout;
}

type Changed = Array<{ mesh: string; dataplane: string }>;

function identityOf(compiled: DataplanePolicies): { services: string[]; tags: Record<string, string[]> } {
  const tags: Record<string, Set<string>> = {};
  for (const ib of compiled.resource.networking.inbound ?? []) for (const [k, v] of Object.entries(ib.tags ?? {})) (tags[k] ??= new Set()).add(v);
  return { services: [...(tags['kuma.io/service'] ?? [])].sort(), tags: Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, [...v].sort()])) };
}

export class MeshIdentities {
  private readonly cas = new Map<string, Promise<CaMaterial>>();
  private readonly leaves = new Map<string, Leaf>();
  private readonly issuing = new Map<string, Promise<void>>();
  private readonly listeners = new Set<(changed: Changed) => void>();
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly log: (level: 'info' | 'warn' | 'error', message: string) => void = () => {},
  ) {}

  /** Hears the dataplanes whose certificates changed (issued or rotated): their xDS snapshots are stale. */
  onChange(listener: (changed: Changed) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The SDS secrets of a dataplane and a version tag for them, or undefined while they are being
   * made (issuance starts here; `onChange` tells when they are ready). Only for meshes with mTLS.
   */
  secretsFor(compiled: DataplanePolicies): { secrets: EnvoyMessage[]; version: string } | undefined {
    const m = compiled.mtls;
    if (!m) return undefined;
    const key = `${compiled.mesh}/${compiled.dataplane}`;
    const leaf = this.leaves.get(key);
    const trust = m.backends.map((b) => this.settledCa(compiled.mesh, b));
    if (leaf && leaf.signature === this.signature(compiled, m) && trust.every((c) => c !== undefined)) {
      return { secrets: mtlsSecrets(compiled.mesh, leaf.issued, trust.map((c) => c!.certPem)), version: leaf.issued.serial.slice(0, 8) };
    }
    this.issue(compiled, m, key);
    return undefined;
  }

  private readonly settled = new Map<string, CaMaterial>();

  private settledCa(mesh: string, backend: string): CaMaterial | undefined {
    return this.settled.get(`${mesh}|${backend}`);
  }

  private signature(compiled: DataplanePolicies, m: MeshMtls): string {
    return JSON.stringify([m.backend, m.dpCertExpiration, m.mode, identityOf(compiled)]);
  }

  /** The mesh's CA of a backend: from the store, or made now and stored (the first replica's wins). */
  private ca(mesh: string, backend: string, m: MeshMtls): Promise<CaMaterial> {
    const key = `${mesh}|${backend}`;
    let p = this.cas.get(key);
    if (!p) {
      p = (async () => {
        const stored = await this.store.getMeshCa(mesh, backend);
        if (stored) return { certPem: stored.certPem, keyPem: stored.keyPem };
        const made = await createBuiltinCa({ mesh, backend, rsaBits: m.rsaBits, expirationMs: parseKumaDuration(m.caExpiration)! });
        const kept = await this.store.putMeshCaIfAbsent({ mesh, backend, ...made });
        this.log('info', `mTLS: created the builtin CA of mesh "${mesh}" backend "${backend}"`);
        return { certPem: kept.certPem, keyPem: kept.keyPem };
      })();
      this.cas.set(key, p);
      p.then(
        (ca) => this.settled.set(key, ca),
        () => this.cas.delete(key),
      );
    }
    return p;
  }

  private issue(compiled: DataplanePolicies, m: MeshMtls, key: string): void {
    if (this.issuing.has(key) || this.closed) return;
    const run = (async () => {
      const cas = await Promise.all(m.backends.map((b) => this.ca(compiled.mesh, b, m)));
      const signing = cas[m.backends.indexOf(m.backend)]!;
      const issued = await issueDataplaneCertificate(signing, { mesh: compiled.mesh, ...identityOf(compiled), expirationMs: parseKumaDuration(m.dpCertExpiration)! });
      if (this.closed) return;
      clearTimeout(this.leaves.get(key)?.timer);
      const leaf: Leaf = { issued, signature: this.signature(compiled, m), backend: m.backend, mode: m.mode };
      // Rotation: a new certificate at 4/5 of the lifetime, made while the old one is still served.
      const delay = Math.max(1_000, rotationTime(issued).getTime() - Date.now());
      // The old certificate stays in force (and in the snapshot) until this one replaces it.
      leaf.timer = setTimeout(() => this.issue(compiled, m, key), Math.min(delay, 2 ** 31 - 1));
      leaf.timer.unref();
      this.leaves.set(key, leaf);
      this.log('info', `mTLS: issued the certificate of ${key} (${issued.sans.join(', ')}), valid until ${issued.notAfter.toISOString()}`);
    })();
    this.issuing.set(key, run);
    run.then(
      () => this.emit([{ mesh: compiled.mesh, dataplane: compiled.dataplane }]),
      (err: unknown) => this.log('error', `mTLS: cannot issue the certificate of ${key}: ${(err as Error).message}`),
    ).finally(() => this.issuing.delete(key));
  }

  private emit(changed: Changed): void {
    for (const l of this.listeners) l(changed);
  }

  /** What the API shows of a dataplane's certificate (never its key). */
  certificateOf(mesh: string, dataplane: string): DataplaneCertificate | undefined {
    const leaf = this.leaves.get(`${mesh}/${dataplane}`);
    if (!leaf) return undefined;
    return { mesh, dataplane, backend: leaf.backend, mode: leaf.mode, certificate: summarizeCertificate(leaf.issued.certPem), nextRotation: rotationTime(leaf.issued).toISOString() };
  }

  /** The CAs of a mesh's builtin backends (certificates only), made if missing. */
  async casOf(mesh: string, m: MeshMtls): Promise<MeshCaSummary[]> {
    return Promise.all(
      m.backends.map(async (backend) => ({ mesh, backend, enabled: backend === m.backend, mode: m.mode, certificate: summarizeCertificate((await this.ca(mesh, backend, m)).certPem) })),
    );
  }

  /** Resolves once no certificate is being made (tests). */
  async idle(): Promise<void> {
    while (this.issuing.size > 0) await Promise.allSettled([...this.issuing.values()]);
  }

  close(): void {
    this.closed = true;
    for (const l of this.leaves.values()) clearTimeout(l.timer);
    this.listeners.clear();
  }
}
