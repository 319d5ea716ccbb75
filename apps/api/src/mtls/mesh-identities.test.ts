import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseResources, PolicyCompiler, type EnvoyMessage } from '@meshcap/core';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../store/index.ts';
import { MeshIdentities } from './mesh-identities.ts';

// The builtin CA kept in a real SQLite store: made once, found again after a restart, and the
// dataplane certificates it signs carry Kuma's SPIFFE identities; nothing it shows holds a key.

const MESH = `
type: Mesh
name: default
mtls:
  enabledBackend: ca-1
  backends:
    - { name: ca-1, type: builtin, dpCert: { rotation: { expiration: 2h } } }
    - { name: ca-2, type: builtin }
---
type: Dataplane
mesh: default
name: web-1
networking:
  address: 198.18.0.2
  inbound:
    - { port: 8080, tags: { kuma.io/service: web, version: v1 } }
`;

const dir = mkdtempSync(join(tmpdir(), 'meshcap-mtls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pemOf(secret: EnvoyMessage, path: string[]): string {
  let v: unknown = secret;
  for (const k of path) v = (v as Record<string, unknown>)[k];
  return Buffer.from(String(v), 'base64').toString();
}

describe('MeshIdentities', () => {
  it('keeps the CA in the store and issues dataplane certificates from it', async () => {
    const pc = new PolicyCompiler();
    pc.applyAll(parseResources(MESH));
    const compiled = pc.compile('default', 'web-1');
    expect(compiled.mtls).toMatchObject({ backend: 'ca-1', mode: 'STRICT', dpCertExpiration: '2h', backends: ['ca-1', 'ca-2'] });

    let store = await openStore({ dataDir: dir });
    let ids = new MeshIdentities(store);
    const changed: string[] = [];
    ids.onChange((c) => changed.push(...c.map((x) => `${x.mesh}/${x.dataplane}`)));
    expect(ids.secretsFor(compiled)).toBeUndefined(); // being made
    await ids.idle();
    expect(changed).toEqual(['default/web-1']);
    const ready = ids.secretsFor(compiled)!;
    const [identity, trust] = ready.secrets as [EnvoyMessage, EnvoyMessage];
    expect(identity['name']).toBe('identity_cert:secret:default');
    const leaf = new X509Certificate(pemOf(identity, ['tls_certificate', 'certificate_chain', 'inline_bytes']));
    expect(leaf.subjectAltName).toBe('URI:spiffe://default/web, URI:kuma://kuma.io/service/web, URI:kuma://version/v1');
    expect(Date.parse(leaf.validTo) - Date.now()).toBeGreaterThan(1.9 * 3_600_000);
    expect(Date.parse(leaf.validTo) - Date.now()).toBeLessThan(2.1 * 3_600_000);
    // The trust bundle carries both backends' CAs (a CA rotation needs no outage); ca-1 signed the leaf.
    const bundle = pemOf(trust, ['validation_context', 'trusted_ca', 'inline_bytes']);
    expect(bundle.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    const ca1 = await store.getMeshCa('default', 'ca-1');
    expect(leaf.checkIssued(new X509Certificate(ca1!.certPem))).toBe(true);

    const shown = JSON.stringify([ids.certificateOf('default', 'web-1'), await ids.casOf('default', compiled.mtls!)]);
    expect(shown).toContain('spiffe://default/web');
    expect(shown).not.toMatch(/PRIVATE KEY|keyPem/);
    ids.close();
    await store.close();

    // After a restart the same CA signs.
    store = await openStore({ dataDir: dir });
    ids = new MeshIdentities(store);
    ids.secretsFor(compiled);
    await ids.idle();
    const again = ids.secretsFor(compiled)!;
    expect(pemOf(again.secrets[1]!, ['validation_context', 'trusted_ca', 'inline_bytes'])).toBe(bundle);
    expect(again.version).not.toBe(ready.version);

    // A CA rotation: enabledBackend moves to ca-2; the new certificate is signed by ca-2 and the trust bundle still carries both.
    const rotated = { ...compiled, mtls: { ...compiled.mtls!, backend: 'ca-2' } };
    expect(ids.secretsFor(rotated)).toBeUndefined();
    await ids.idle();
    const next = ids.secretsFor(rotated)!;
    const leaf2 = new X509Certificate(pemOf(next.secrets[0]!, ['tls_certificate', 'certificate_chain', 'inline_bytes']));
    expect(leaf2.checkIssued(new X509Certificate((await store.getMeshCa('default', 'ca-2'))!.certPem))).toBe(true);
    expect(pemOf(next.secrets[1]!, ['validation_context', 'trusted_ca', 'inline_bytes'])).toBe(bundle);
    ids.close();
    await store.close();
  });
});
