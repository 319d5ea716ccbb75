'use client';

import Link from 'next/link';
import { useEffect, useMemo } from 'react';
import { ErrorBox } from '../../../components/error-box.tsx';
import { Empty, Loading, QueryState } from '../../../components/query-state.tsx';
import { SourceDetails } from '../../../components/source-details.tsx';
import { dataplaneHref } from '../../dataplanes/dataplane-href.ts';
import { useMeshes } from '../../meshes/api/get-meshes.ts';
import { useAffectedDataplanes } from '../api/get-affected-dataplanes.ts';
import { usePoliciesOfMeshes } from '../api/get-mesh-policies.ts';
import type { MeshPolicy } from '../api/types.ts';
import { policyAnchor } from '../policy-anchor.ts';
import { targetRefText } from '../target-ref-text.ts';

/** Every policy of every mesh, each with the dataplanes it affects and where. */
export function PolicyList() {
  const meshes = useMeshes();
  const names = useMemo(() => meshes.data?.items.map((m) => m.name) ?? [], [meshes.data]);
  const queries = usePoliciesOfMeshes(names);
  const policies = queries.flatMap((q) => q.data?.items ?? []);
  const failed = queries.find((q) => q.isError);
  const loaded = meshes.isSuccess && queries.every((q) => q.isSuccess);
  // A link to one policy (`/policies#policy-…`) arrives before the list does: scroll to it once it is drawn.
  useEffect(() => {
    if (loaded && window.location.hash) document.getElementById(decodeURIComponent(window.location.hash.slice(1)))?.scrollIntoView({ block: 'start' });
  }, [loaded]);

  if (meshes.isError) return <ErrorBox title="Could not load meshes" error={meshes.error} onRetry={() => void meshes.refetch()} />;
  if (failed) return <ErrorBox title="Could not load policies" error={failed.error} onRetry={() => void failed.refetch()} />;
  if (meshes.isPending || queries.some((q) => q.isPending)) return <Loading label="policies" />;
  if (policies.length === 0) return <Empty>No policies. Apply one with `meshcap apply -f policy.yaml`.</Empty>;
  return (
    <ul className="space-y-3" aria-label="Policies">
      {policies.map((p) => (
        <PolicyCard key={`${p.mesh}/${p.type}/${p.name}`} policy={p} />
      ))}
    </ul>
  );
}

function PolicyCard({ policy: p }: { policy: MeshPolicy }) {
  const affected = useAffectedDataplanes(p.mesh, p.type, p.name);
  return (
    <li id={policyAnchor(p.mesh, p.type, p.name)} className="card scroll-mt-20 p-4 target:ring-2 target:ring-sky-500">
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
        <h2 className="font-semibold">
          {p.type} <span className="font-mono">{p.name}</span>
        </h2>
        <span className="muted text-xs">
          mesh {p.mesh} · affects {p.dataplanes.total} {p.dataplanes.total === 1 ? 'dataplane' : 'dataplanes'}
          {p.dataplanes.disabled > 0 && `, off for ${p.dataplanes.disabled}`}
        </span>
        <span className="rounded bg-slate-100 px-1.5 font-mono text-xs dark:bg-slate-800">targetRef {targetRefText(p.targetRef)}</span>
      </div>
      <SourceDetails summary="Spec" text={JSON.stringify(p.spec, null, 2)} className="mt-2" />
      <div className="mt-3">
        <QueryState query={affected} label="affected dataplanes" isEmpty={(d) => d.items.length === 0} empty="Affects no dataplane.">
          {(d) => (
            <table className="w-full table-fixed text-sm" aria-label={`Dataplanes affected by ${p.name}`}>
              <thead className="text-left text-xs text-slate-500 dark:text-slate-400">
                <tr>
                  <th className="w-1/4 py-1 font-medium">Dataplane</th>
                  <th className="w-1/6 py-1 font-medium">State</th>
                  <th className="py-1 font-medium">Where</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((a) => (
                  <tr key={a.dataplane} className="border-t border-slate-100 align-top dark:border-slate-800">
                    <td className="py-1">
                      <Link className="link" href={dataplaneHref(a.mesh, a.dataplane, 'policies')}>
                        {a.dataplane}
                      </Link>
                    </td>
                    <td className={`py-1 text-xs ${a.enabled ? 'text-emerald-700 dark:text-emerald-400' : 'muted'}`}>{a.enabled ? 'on' : 'off for this dataplane'}</td>
                    <td className="py-1 font-mono text-xs break-all">{a.where.map((w) => (w.direction === 'inbound' ? w.listener : `to ${w.listener}`)).join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryState>
      </div>
    </li>
  );
}
