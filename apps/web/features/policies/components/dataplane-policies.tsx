'use client';

import Link from 'next/link';
import { Panel } from '../../../components/page-title.tsx';
import { Empty, QueryState } from '../../../components/query-state.tsx';
import { useDataplanePolicies } from '../api/get-dataplane-policies.ts';
import type { EffectivePolicy, PolicyAttachment } from '../api/types.ts';
import { policyAnchor } from '../policy-anchor.ts';
import { subsetText, targetRefText } from '../target-ref-text.ts';
import { PolicyConf } from './policy-conf.tsx';
import { PolicyToggle } from './policy-toggle.tsx';

/** The Policies tab: matched policies with their switches, then each inbound/outbound with its effective confs. */
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
                config version{' '}
                <span className="font-mono text-slate-700 dark:text-slate-300" aria-label="Policies config version">
                  {d.configVersion}
                </span>
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
                        <Link className="link font-mono" href={`/policies#${policyAnchor(p.mesh, p.type, p.name)}`}>
                          {p.name}
                        </Link>
                        <span className="muted text-xs"> · targetRef {targetRefText(p.targetRef)}</span>
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
                  <li key={i}>
                    ⚠ {w.message} <span className="font-mono">({w.code})</span>
                  </li>
                ))}
              </ul>
            )}
          </Panel>
          {d.attachments.map((a) => (
            <AttachmentPanel key={`${a.direction}-${a.listener ?? a.service}`} attachment={a} />
          ))}
        </div>
      )}
    </QueryState>
  );
}

function AttachmentPanel({ attachment: a }: { attachment: PolicyAttachment }) {
  const where = a.listener ?? a.service;
  return (
    <Panel
      title={
        <>
          <span className="muted font-normal">{a.direction === 'inbound' ? 'Inbound (from) · ' : 'Outbound (to) · '}</span>
          <span className="font-mono">{where}</span>
          <span className="muted font-normal">
            {a.listener ? ` · ${a.service}` : a.direction === 'outbound' ? ' · reached transparently' : ''} · {a.protocol}
          </span>
        </>
      }
    >
      {a.policies.length === 0 ? (
        <p className="muted text-sm">No policy applies here.</p>
      ) : (
        <div className="space-y-5">
          {a.policies.map((e) => (
            <EffectivePolicyView key={e.type} policy={e} where={where} />
          ))}
        </div>
      )}
    </Panel>
  );
}

function EffectivePolicyView({ policy: e, where }: { policy: EffectivePolicy; where: string }) {
  const bySubset = e.rules.length > 1 || e.rules.some((r) => r.subset.length > 0);
  return (
    <div>
      <div className="mb-1.5 flex flex-wrap items-center gap-2 text-sm">
        <span className="font-semibold">{e.type}</span>
        <span className="muted text-xs">merged from</span>
        <ol className="flex flex-wrap gap-1 text-xs" aria-label={`${e.type} origins in merge order`}>
          {e.origins.map((o, i) => (
            <li
              key={`${o.name}-${o.section}-${o.entry}`}
              className={`rounded border px-1.5 font-mono ${o.enabled ? 'border-slate-300 dark:border-slate-700' : 'border-dashed border-slate-300 text-slate-400 line-through dark:border-slate-700'}`}
              title={`${o.section}[${o.entry}] → ${targetRefText(o.entryTargetRef)}${o.enabled ? '' : ' (off for this dataplane)'}`}
            >
              {i + 1}. {o.name}
              <span className="muted">
                {' '}
                {o.section}[{o.entry}] · {o.targetRefKind}
              </span>
              {!o.enabled && <span className="sr-only"> (off)</span>}
            </li>
          ))}
        </ol>
      </div>
      {e.rules.length === 0 ? (
        <p className="muted text-xs">{e.type === 'MeshTrafficPermission' ? 'No entry is on: every client is denied.' : 'Every matching entry is off for this dataplane.'}</p>
      ) : (
        <div className="space-y-3">
          {e.rules.map((r, i) => (
            <div key={i} className="space-y-1">
              {bySubset && <p className="text-xs font-medium">For {subsetText(r.subset)}:</p>}
              <PolicyConf conf={r.conf} label={`${where} ${e.type}${e.rules.length > 1 ? ` rule ${i + 1}` : ''}`} />
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
