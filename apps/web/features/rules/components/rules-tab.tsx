'use client';

import { useDataplane } from '../../dataplanes/api/get-dataplane.ts';
import { Panel } from '../../../components/page-title.tsx';
import { QueryState } from '../../../components/query-state.tsx';
import { useRules } from '../api/get-rules.ts';
import { useTracePacket } from '../api/trace-packet.ts';
import type { Ruleset } from '../api/types.ts';
import { RuleSetView } from './rule-set-view.tsx';
import { TraceForm } from './trace-form.tsx';

export function RulesTab({ mesh, name }: { mesh: string; name: string }) {
  const rules = useRules(mesh, name);
  const trace = useTracePacket(mesh, name);
  const dataplane = useDataplane(mesh, name);
  return (
    <div className="space-y-4">
      <Panel title="Trace a packet">
        <TraceForm onTrace={(req) => trace.mutate(req)} pending={trace.isPending} error={trace.error} result={trace.data} defaultSource={dataplane.data?.address} />
      </Panel>
      <QueryState query={rules} label="rules" isEmpty={(r) => r.ruleset.tables.length === 0} empty="No capture rules are installed for this dataplane.">
        {({ ruleset: r }) => (
          <>
            <p className="muted text-xs">
              Counters refresh every 5 s · rules marked <span className="font-semibold">meshcap</span> were installed by meshcap
              {unreadableOrigins(r).length > 0 && (
                <span title={r.sources.flatMap((s) => (s.unreadable ? [s.unreadable] : [])).join('\n')}>
                  {' '}
                  · not listed: {unreadableOrigins(r).join(', ')} (only root may list legacy tables)
                </span>
              )}
            </p>
            {r.warnings.length > 0 && (
              <ul className="text-xs text-amber-800 dark:text-amber-300" aria-label="Rule reader warnings">
                {r.warnings.map((w, i) => (
                  <li key={i}>⚠ {w}</li>
                ))}
              </ul>
            )}
            <RuleSetView rules={r} trace={trace.error ? undefined : trace.data} />
          </>
        )}
      </QueryState>
    </div>
  );
}

const unreadableOrigins = (r: Ruleset) => r.sources.flatMap((s) => (s.unreadable ? [s.origin ?? s.kind] : []));
