import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MeshcapError } from '../errors.ts';
import { meshMtlsOf, type Mesh } from '../model/mesh.ts';
import { parseResources } from '../model/parse.ts';
import { createBuiltinCa, issueDataplaneCertificate, rotationTime, summarizeCertificate } from './ca.ts';
import { parseKumaDuration } from './duration.ts';

function issuesOf(text: string): Array<{ path: string; message: string }> {
  try {
    parseResources(text);
  } catch (err) {
    if (err instanceof MeshcapError) return err.issues.map((i) => ({ path: i.path ?? '', message: i.message }));
    throw err;
  }
  throw new Error('expected a MeshcapError');
}

const mesh = (mtls: string): string => `type: Mesh\nname: default\nmtls:\n${mtls}`;

describe('Mesh mtls', () => {
  it("loads Kuma's builtin backend and fills Kuma's defaults", () => {
    const [m] = parseResources(mesh('  enabledBackend: ca-1\n  backends:\n    - name: ca-1\n      type: builtin\n')) as [Mesh];
    expect(meshMtlsOf(m)).toEqual({ backend: 'ca-1', mode: 'STRICT', rsaBits: 2048, caExpiration: '10y', dpCertExpiration: '24h', backends: ['ca-1'] });
    const [p] = parseResources(
      mesh('  enabledBackend: ca-1\n  backends:\n    - name: ca-1\n      type: builtin\n      mode: PERMISSIVE\n      dpCert:\n        rotation:\n          expiration: 1h\n      conf:\n        caCert:\n          RSAbits: 3072\n          expiration: 1y\n'),
    ) as [Mesh];
    expect(meshMtlsOf(p)).toMatchObject({ mode: 'PERMISSIVE', rsaBits: 3072, caExpiration: '1y', dpCertExpiration: '1h' });
  });

  it('is off without enabledBackend', () => {
    const [m] = parseResources(mesh('  backends:\n    - name: ca-1\n      type: builtin\n')) as [Mesh];
    expect(meshMtlsOf(m)).toBeUndefined();
  });

  it('refuses a bad block with field paths', () => {
    expect(issuesOf(mesh('  enabledBackend: ca-2\n  backends:\n    - name: ca-1\n      type: builtin\n'))).toEqual([expect.objectContaining({ path: 'mtls.enabledBackend' })]);
    expect(issuesOf(mesh('  enabledBackend: ca-1\n  backends:\n    - name: ca-1\n      type: vault\n'))).toEqual([expect.objectContaining({ path: 'mtls.backends[0].type' })]);
    expect(issuesOf(mesh('  enabledBackend: ca-1\n  backends:\n    - name: ca-1\n      type: builtin\n      dpCert:\n        rotation:\n          expiration: soon\n'))).toEqual([
      expect.objectContaining({ path: 'mtls.backends[0].dpCert.rotation.expiration' }),
    ]);
    expect(issuesOf(mesh('  enabledBackend: ca-1\n  backends:\n    - name: ca-1\n      type: builtin\n      mode: LAX\n'))).toEqual([expect.objectContaining({ path: 'mtls.backends[0].mode' })]);
  });

  it("reads Kuma's durations", () => {
    expect(parseKumaDuration('24h')).toBe(86_400_000);
    expect(parseKumaDuration('1h30m')).toBe(5_400_000);
    expect(parseKumaDuration('10y')).toBe(3650 * 86_400_000);
    expect(parseKumaDuration('1x')).toBeUndefined();
    expect(parseKumaDuration('0s')).toBeUndefined();
  });
});

describe('builtin CA', () => {
  it('issues a leaf with SPIFFE and kuma URI SANs that chains to the CA and expires when asked', async () => {
    const now = new Date('2026-12-03T12:00:00Z');
    const ca = await createBuiltinCa({ mesh: 'default', backend: 'ca-1', rsaBits: 2048, expirationMs: 10 * 365 * 86_400_000, now });
    const caCert = new X509Certificate(ca.certPem);
    expect(caCert.ca).toBe(true);
    expect(caCert.subject).toContain('CN=default');
    const leaf = await issueDataplaneCertificate(ca, {
      mesh: 'default',
      services: ['web', 'web-api'],
      tags: { 'kuma.io/service': ['web', 'web-api'], version: ['v1'] },
      expirationMs: 3_600_000,
      now,
    });
    const c = new X509Certificate(leaf.certPem);
    expect(c.ca).toBe(false);
    expect(c.checkIssued(caCert)).toBe(true);
    expect(c.verify(caCert.publicKey)).toBe(true);
    const s = summarizeCertificate(leaf.certPem);
    expect(s.sans).toEqual(['spiffe://default/web', 'spiffe://default/web-api', 'kuma://kuma.io/service/web', 'kuma://kuma.io/service/web-api', 'kuma://version/v1']);
    expect(s.notAfter).toBe('2026-12-03T13:00:00.000Z');
    expect(leaf.keyPem).toContain('BEGIN PRIVATE KEY');
    expect(JSON.stringify(s)).not.toContain('PRIVATE');
    // Kuma rotates after 4/5 of the lifetime (the leaf starts a minute early for clock skew).
    expect(rotationTime(leaf).toISOString()).toBe('2026-12-03T12:47:48.000Z');
  });
});
