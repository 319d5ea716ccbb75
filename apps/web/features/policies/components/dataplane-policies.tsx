'use client';

import Link from 'next/link';
import { Panel } from '../../../components/page-title.tsx';
import { Empty, QueryState } from '../../../components/query-state.tsx';
import { useDataplanePolicies } from '../api/get-dataplane-policies.ts';
import type { PolicyAttachment } from '../api/types.ts';
import { policyAnchor } from '../policy-anchor.ts';
import { PolicyConf } from './policy-conf.tsx';
import { PolicyToggle } from './policy-toggle.tsx';

export function DataplanePolicies({ mesh, name }: { mesh: string; name: string }) {
  const q = useDataplanePolicies(mesh, name);
  return (
    <QueryState query={q} label="policies">
      {(d) => (
        <div className="space-y-4">
          <Panel
            title="Matched policies"
            actions={
              <span className="muted text-xs">
                config version <span className="font-mono text-slate-700 dark:text-slate-300">{d.configVersion ?? '—'}</span>
              </span>
            }
          >
            {d.policies.length === 0 ? (
              <Empty>No policy matches this dataplane.</Empty>
            ) : (
              <ul className="divide-y divide-slate-100 dark:divide-slate-800" aria-label="Matched policies">
                {d.policies.map((p) => (
                  <li key={`${p.type}/${p.name}`} className="flex items-start justify-between gap-4 py-2">
                    <div className="min-w-0">
                      <p className="text-sm">
                        <span className="font-medium">{p.type}</span>{' '}
                        <Link className="link font-mono" href={`/policies#${policyAnchor(mesh, p.type, p.name)}`}>
                          {p.name}
                        </Link>
                      </p>
                      <p className="muted truncate font-mono text-xs">{p.where.join(', ') || 'no inbound/outbound'}</p>
                    </div>
                    <PolicyToggle mesh={mesh} dataplane={name} policy={p} />
                  </li>
                ))}
              </ul>
            )}
            {d.warnings.length > 0 && (
              <ul className="mt-3 space-y-1 text-xs text-amber-800 dark:text-amber-300" aria-label="Warnings">
                {d.warnings.map((w, i) => (
                  <li key={i}>⚠ {w}</li>
                ))}
              </ul>
            )}
          </Panel>
          {d.attachments.map((a) => (
            <AttachmentPanel key={a.listener} attachment={a} />
          ))}
        </div>
      )}
    </QueryState>
  );
}

function AttachmentPanel({ attachment: a }: { attachment: PolicyAttachment }) {
  return (
    <Panel
      title={
        <>
          <span className="muted font-normal">{a.direction === 'inbound' ? 'Inbound (from)' : 'Outbound (to)'} · </span>
          <span className="font-mono">{a.listener}</span>
          {a.service && <span className="muted font-normal"> · {a.service}</span>}
        </>
      }
    >
      {a.policies.length === 0 ? (
        <p className="muted text-sm">No policy applies here.</p>
      ) : (
        <div className="space-y-4">
          {a.policies.map((e) => (
            <div key={e.type}>
              <div className="mb-1 flex flex-wrap items-center gap-2 text-sm">
                <span className="font-semibold">{e.type}</span>
                <span className="muted text-xs">merged from</span>
                <ol className="flex flex-wrap gap-1 text-xs" aria-label={`${e.type} origins in merge order`}>
                  {e.origins.map((o, i) => (
                    <li
                      key={`${o.name}-${i}`}
                      className={`rounded border px-1.5 font-mono ${o.enabled ? 'border-slate-300 dark:border-slate-700' : 'border-dashed border-slate-300 text-slate-400 line-through dark:border-slate-700'}`}
                      title={o.enabled ? undefined : 'turned off for this dataplane'}
                    >
                      {i + 1}. {o.name}
                      {o.targetRef && <span className="muted no-underline"> ({o.targetRef.kind})</span>}
                      {!o.enabled && <span className="sr-only"> (off)</span>}
                    </li>
                  ))}
                </ol>
              </div>
              <PolicyConf conf={e.conf} label={`${a.listener} ${e.type}`} />
            </div>
          ))}
        </div>
      )}
    </Panel>
  );
}
