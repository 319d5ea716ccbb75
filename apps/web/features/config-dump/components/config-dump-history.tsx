'use client';

import { useId, useState } from 'react';
import { Panel } from '../../../components/page-title.tsx';
import { Empty, QueryState } from '../../../components/query-state.tsx';
import { useConfigDumpDiff } from '../api/get-config-dump-diff.ts';
import { useConfigDumpVersions } from '../api/get-config-dump-versions.ts';
import type { ConfigDumpChange, ConfigDumpDiff } from '../api/types.ts';

/** The kept config versions of a dataplane, and the diff between two of them. */
export function ConfigDumpHistory({ mesh, name }: { mesh: string; name: string }) {
  const versions = useConfigDumpVersions(mesh, name);
  const ids = { from: useId(), to: useId() };
  const [picked, setPicked] = useState<{ from: string; to: string } | null>(null);
  const items = versions.data?.items ?? [];
  // Until the user picks, compare the two newest versions.
  const from = picked?.from ?? items[1]?.version ?? '';
  const to = picked?.to ?? items[0]?.version ?? '';
  const diff = useConfigDumpDiff(mesh, name, from, to);

  return (
    <Panel title="Versions and diff">
      <QueryState query={versions} label="config versions" isEmpty={(d) => d.items.length === 0} empty="No config version yet.">
        {(d) => (
          <div className="grid grid-cols-1 gap-4 xl:grid-cols-[18rem_minmax(0,1fr)]">
            <ol aria-label="Config versions" className="max-h-96 space-y-1 overflow-y-auto text-xs">
              {d.items.map((v, i) => (
                <li key={v.version} className={`rounded border px-2 py-1 ${v.version === to || v.version === from ? 'border-sky-400 dark:border-sky-600' : 'border-slate-200 dark:border-slate-800'}`}>
                  <div className="flex justify-between gap-2">
                    <span className="truncate font-mono font-medium" title={v.version}>
                      {v.version}
                    </span>
                    {i === 0 && <span className="rounded bg-emerald-100 px-1 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300">current</span>}
                  </div>
                  <div className="muted">
                    {new Date(v.time).toLocaleString()}
                    {v.reason && ` · ${v.reason}`}
                  </div>
                </li>
              ))}
            </ol>
            <div className="min-w-0 space-y-3">
              <div className="flex flex-wrap items-end gap-3">
                {(['from', 'to'] as const).map((side) => (
                  <div key={side} className="flex min-w-0 flex-col gap-1">
                    <label htmlFor={ids[side]} className="muted text-xs font-medium">
                      {side === 'from' ? 'From version' : 'To version'}
                    </label>
                    <select
                      id={ids[side]}
                      className="field max-w-64 font-mono"
                      value={side === 'from' ? from : to}
                      onChange={(e) => setPicked({ from, to, [side]: e.target.value })}
                    >
                      <option value="">—</option>
                      {d.items.map((v) => (
                        <option key={v.version} value={v.version}>
                          {v.version}
                        </option>
                      ))}
                    </select>
                  </div>
                ))}
              </div>
              {!from || !to ? (
                <Empty>Pick two versions to compare.</Empty>
              ) : from === to ? (
                <Empty>Both sides are the same version.</Empty>
              ) : (
                <QueryState query={diff} label="diff">
                  {(x) => <DiffView diff={x} />}
                </QueryState>
              )}
            </div>
          </div>
        )}
      </QueryState>
    </Panel>
  );
}

const opTone: Record<ConfigDumpChange['op'], string> = {
  added: 'text-emerald-700 dark:text-emerald-400',
  removed: 'text-rose-700 dark:text-rose-400',
  changed: 'text-amber-700 dark:text-amber-300',
};

const short = (v: unknown) => {
  const s = JSON.stringify(v);
  return s === undefined ? '' : s.length > 120 ? `${s.slice(0, 117)}…` : s;
};

export function DiffView({ diff }: { diff: ConfigDumpDiff }) {
  const [view, setView] = useState<'changes' | 'unified'>('changes');
  return (
    <section aria-label={`Diff from ${diff.from} to ${diff.to}`} className="space-y-2">
      <div role="group" aria-label="Diff view" className="flex gap-1">
        {(['changes', 'unified'] as const).map((v) => (
          <button key={v} type="button" aria-pressed={view === v} className={view === v ? 'btn-primary' : 'btn-secondary'} onClick={() => setView(v)}>
            {v === 'changes' ? `Changes (${diff.changes.length})` : 'Unified text'}
          </button>
        ))}
      </div>
      {view === 'changes' ? (
        diff.changes.length === 0 ? (
          <Empty>No difference.</Empty>
        ) : (
          <ul className="space-y-1 font-mono text-xs">
            {diff.changes.map((c, i) => (
              <li key={i} className="rounded border border-slate-200 px-2 py-1 break-all dark:border-slate-800">
                <span className={`font-sans font-semibold ${opTone[c.op]}`}>{c.op}</span> {c.path}
                {c.op !== 'added' && c.before !== undefined && <div className="text-rose-700 dark:text-rose-400">− {short(c.before)}</div>}
                {c.op !== 'removed' && c.after !== undefined && <div className="text-emerald-700 dark:text-emerald-400">+ {short(c.after)}</div>}
              </li>
            ))}
          </ul>
        )
      ) : (
        <pre aria-label="Unified diff" className="max-h-[60vh] overflow-auto rounded bg-slate-50 p-2 font-mono text-xs dark:bg-slate-950">
          {diff.unified.split('\n').map((line, i) => (
            <div
              key={i}
              className={
                line.startsWith('+') && !line.startsWith('+++')
                  ? 'bg-emerald-50 text-emerald-800 dark:bg-emerald-950/50 dark:text-emerald-300'
                  : line.startsWith('-') && !line.startsWith('---')
                    ? 'bg-rose-50 text-rose-800 dark:bg-rose-950/50 dark:text-rose-300'
                    : line.startsWith('@@')
                      ? 'text-sky-700 dark:text-sky-400'
                      : ''
              }
            >
              {line || ' '}
            </div>
          ))}
        </pre>
      )}
    </section>
  );
}
