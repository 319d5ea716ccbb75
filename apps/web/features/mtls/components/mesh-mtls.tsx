'use client';

import { Panel } from '../../../components/page-title.tsx';
import { QueryState } from '../../../components/query-state.tsx';
import { useMeshMtls } from '../api/get-mesh-mtls.ts';
import { CertificateFact, CertificateFacts } from './certificate-facts.tsx';

const IDENTITY: Record<string, string> = {
  certificate: 'verified certificate (SPIFFE ID)',
  'certificate-or-address': 'certificate over mTLS, source address for plaintext clients',
  address: 'source address (no mTLS)',
};

/** The mesh's mTLS: mode, how permissions identify clients, and each builtin CA (subject, expiry). */
export function MeshMtlsPanel({ mesh }: { mesh: string }) {
  const q = useMeshMtls(mesh);
  return (
    <Panel title="mTLS">
      <QueryState query={q} label="mTLS">
        {(m) => (
          <div className="space-y-3 text-sm">
            <dl className="grid grid-cols-2 gap-x-6 gap-y-2 md:grid-cols-3">
              <CertificateFact name="Mode">{m.enabled ? m.mode : 'off'}</CertificateFact>
              <CertificateFact name="Clients identified by">{IDENTITY[m.identity] ?? m.identity}</CertificateFact>
              {m.enabled && <CertificateFact name="Dataplane certificates valid for">{m.dpCertExpiration}</CertificateFact>}
            </dl>
            {m.cas.map((ca) => (
              <section key={ca.backend} aria-label={`CA ${ca.backend}`}>
                <h3 className="mb-1 font-semibold">
                  CA {ca.backend} {ca.enabled ? '(enabled)' : '(trusted)'}
                </h3>
                <CertificateFacts cert={ca.certificate} label={`CA ${ca.backend} certificate`} />
              </section>
            ))}
          </div>
        )}
      </QueryState>
    </Panel>
  );
}
