'use client';

import { Panel } from '../../../components/page-title.tsx';
import { QueryState } from '../../../components/query-state.tsx';
import { useDataplaneCertificate } from '../api/get-dataplane-certificate.ts';
import { CertificateFact, CertificateFacts } from './certificate-facts.tsx';

/** The dataplane's mTLS: mode, its certificate (SANs, not-after) and when the control plane rotates it. */
export function DataplaneCertificatePanel({ mesh, name }: { mesh: string; name: string }) {
  const q = useDataplaneCertificate(mesh, name);
  return (
    <Panel title="mTLS">
      <QueryState query={q} label="certificate">
        {(c) =>
          c === null ? (
            <p className="muted text-sm">No certificate: mTLS is off in this mesh (clients are identified by their source address), or the dataplane has not connected yet.</p>
          ) : (
            <CertificateFacts
              cert={c.certificate}
              label="Dataplane certificate"
              extra={
                <>
                  <CertificateFact name="Mode">{c.mode}</CertificateFact>
                  <CertificateFact name="Next rotation" mono>
                    {c.nextRotation}
                  </CertificateFact>
                </>
              }
            />
          )
        }
      </QueryState>
    </Panel>
  );
}
