import type { ReactNode } from 'react';
import type { Certificate } from '../api/types.ts';

function Fact({ name, mono, children }: { name: string; mono?: boolean; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="muted text-xs">{name}</dt>
      <dd className={`break-words ${mono ? 'font-mono text-xs leading-5' : ''}`}>{children}</dd>
    </div>
  );
}

/** Subject, validity and SANs of a certificate; `extra` adds facts (next rotation, mode). */
export function CertificateFacts({ cert, label, extra }: { cert: Certificate; label: string; extra?: ReactNode }) {
  return (
    <dl aria-label={label} className="grid grid-cols-1 gap-x-6 gap-y-2 text-sm md:grid-cols-2">
      <Fact name="Subject" mono>
        {cert.subject}
      </Fact>
      <Fact name="Not after" mono>
        {cert.notAfter}
      </Fact>
      {extra}
      <div className="md:col-span-2">
        <dt className="muted text-xs">SANs</dt>
        <dd>
          <ul aria-label="SANs" className="mt-1 flex flex-wrap gap-1.5">
            {cert.sans.map((s) => (
              <li key={s} className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs dark:bg-slate-800">
                {s}
              </li>
            ))}
          </ul>
        </dd>
      </div>
    </dl>
  );
}

export { Fact as CertificateFact };
