'use client';

import Link from 'next/link';
import type { ReactNode } from 'react';
import { Panel } from '../../../components/page-title.tsx';
import { Empty, QueryState } from '../../../components/query-state.tsx';
import { useDataplanePolicies } from '../api/get-dataplane-policies.ts';
import type { InboundPolicies, OutboundPolicies, PolicyOrigin } from '../api/types.ts';
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
                  {d.version.versionInfo}
                </span>
              </span>
            }
          >
            {d.matchedPolicies.length === 0 ? (
              <Empty>No policy matches this dataplane.</Empty>
            ) : (
              <ul className="divide-y divide-slate-100 dark:divide-slate-800" aria-label="Matched policies">
                {d.matchedPolicies.map((p) => (
                  <li key={`${p.type}/${p.name}`} className="flex items-start justify-between gap-4 py-2">
                    <div className="min-w-0">
                      <p className="text-sm">
                        <span className="font-medium">{p.type}</span>{' '}
                        <Link className="link font-mono" href={`/policies#${policyAnchor(p.mesh, p.type, p.name)}`}>
                          {p.name}
                        </Link>
                        <span className="muted text-xs"> · targetRef {targetRefText(p.targetRef)}</span>
                      </p>
                      <p className="muted truncate font-mono text-xs">
                        {[...p.inbounds.map((l) => `from → ${l}`), ...p.outbounds.map((s) => `to → ${s}`)].join(', ') || 'no inbound/outbound'}
                      </p>
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
                    ⚠ {w.message} <span className="font-mono opacity-75">({w.code})</span>
                  </li>
                ))}
              </ul>
            )}
          </Panel>
          {d.inbounds.map((ib) => (
            <InboundPanel key={ib.listener} inbound={ib} />
          ))}
          {d.outbounds.map((ob) => (
            <OutboundPanel key={ob.listener ?? ob.service} outbound={ob} />
          ))}
        </div>
      )}
    </QueryState>
  );
}

function InboundPanel({ inbound: ib }: { inbound: InboundPolicies }) {
  const types = Object.entries(ib.policies);
  return (
    <Panel
      title={
        <>
          <span className="muted font-normal">Inbound (from) · </span>
          <span className="font-mono">{ib.listener}</span>
          <span className="muted font-normal">
            {' '}
            · {ib.service} · {ib.protocol}
          </span>
        </>
      }
    >
      {types.length === 0 ? (
        <p className="muted text-sm">No policy applies to this inbound.</p>
      ) : (
        <div className="space-y-5">
          {types.map(([type, p]) => (
            <PolicyType key={type} type={type} origins={p.origins}>
              {p.rules.length === 0 ? (
                <p className="muted text-xs">{type === 'MeshTrafficPermission' ? 'No rule matches any client: Deny.' : 'Every matching entry is off for this dataplane.'}</p>
              ) : (
                p.rules.map((r, i) => (
                  <div key={i} className="space-y-1">
                    {(p.sourceDependent || p.rules.length > 1) && <p className="text-xs font-medium">For {subsetText(r.subset)}:</p>}
                    <PolicyConf conf={r.conf} label={`${ib.listener} ${type}${p.rules.length > 1 ? ` rule ${i + 1}` : ''}`} />
                  </div>
                ))
              )}
            </PolicyType>
          ))}
        </div>
      )}
    </Panel>
  );
}

function OutboundPanel({ outbound: ob }: { outbound: OutboundPolicies }) {
  const types = Object.entries(ob.policies);
  return (
    <Panel
      title={
        <>
          <span className="muted font-normal">Outbound (to) · </span>
          <span className="font-mono">{ob.service}</span>
          <span className="muted font-normal">
            {ob.listener ? ` · ${ob.listener}` : ' · transparent'} · {ob.protocol}
          </span>
        </>
      }
    >
      {types.length === 0 ? (
        <p className="muted text-sm">No policy applies to this outbound.</p>
      ) : (
        <div className="space-y-5">
          {types.map(([type, p]) => (
            <PolicyType key={type} type={type} origins={p.origins}>
              {p.conf === undefined ? (
                <p className="muted text-xs">Every matching entry is off for this dataplane.</p>
              ) : (
                <PolicyConf conf={p.conf} label={`${ob.service} ${type}`} />
              )}
            </PolicyType>
          ))}
        </div>
      )}
    </Panel>
  );
}

function PolicyType({ type, origins, children }: { type: string; origins: PolicyOrigin[]; children: ReactNode }) {
  return (
    <div>
      <div className="mb-1.5 flex flex-wrap items-center gap-2 text-sm">
        <span className="font-semibold">{type}</span>
        <span className="muted text-xs">merged from</span>
        <ol className="flex flex-wrap gap-1 text-xs" aria-label={`${type} origins in merge order`}>
          {origins.map((o, i) => (
            <li
              key={`${o.name}-${o.section}-${o.entry}`}
              className={`rounded border px-1.5 font-mono ${o.enabled ? 'border-slate-300 dark:border-slate-700' : 'border-dashed border-slate-300 text-slate-400 line-through dark:border-slate-700'}`}
              title={`${o.section}[${o.entry}] → ${targetRefText(o.entryTargetRef)}${o.enabled ? '' : ' (off for this dataplane)'}`}
            >
              {i + 1}. {o.name}
              <span className="muted"> ({o.targetRefKind})</span>
              {!o.enabled && <span className="sr-only"> (off)</span>}
            </li>
          ))}
        </ol>
      </div>
      {children}
    </div>
  );
}
