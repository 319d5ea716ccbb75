'use client';

import { LabeledField } from '../../../components/labeled-field.tsx';
import { Panel } from '../../../components/page-title.tsx';
import { Empty, QueryState } from '../../../components/query-state.tsx';
import { useUrlState } from '../../../lib/url-state.ts';
import { useConfigDumpDiff } from '../api/get-config-dump-diff.ts';
import { useConfigDumpVersions } from '../api/get-config-dump-versions.ts';
import type { ConfigDumpChange, ConfigDumpDiff } from '../api/types.ts';
import { diffShown, NOISE_FIELDS } from '../diff-noise.ts';

/** The kept config versions of a dataplane (newest first), which one is shown, and the diff between two. */
export function ConfigDumpHistory({ mesh, name, shown, onShow }: { mesh: string; name: string; shown: string | undefined; onShow: (version: string | undefined) => void }) {
  const versions = useConfigDumpVersions(mesh, name);
  const [url, writeUrl] = useUrlState();
  const newestFirst = [...(versions.data?.versions ?? [])].reverse();
  // Until the user picks (`?from=&to=`), compare the two newest versions.
  const from = url.get('from') ?? newestFirst[1]?.version ?? '';
  const to = url.get('to') ?? newestFirst[0]?.version ?? '';
  const setPicked = (p: { from: string; to: string }) => writeUrl(p);
  const diff = useConfigDumpDiff(mesh, name, from, to);

  return (
    <Panel title="Versions and diff">
      <QueryState query={versions} label="config versions" isEmpty={(d) => d.versions.length === 0} empty="No config version kept yet.">
        {() => (
          <div className="grid grid-cols-1 gap-4 xl:grid-cols-[20rem_minmax(0,1fr)]">
            <ol aria-label="Config versions" className="max-h-96 space-y-1 overflow-y-auto text-xs">
              {newestFirst.map((v) => {
                const viewing = shown === v.version || (shown === undefined && v.running);
                return (
                  <li key={v.version} className={`flex items-center justify-between gap-2 rounded border px-2 py-1 ${viewing ? 'border-sky-400 dark:border-sky-600' : 'border-slate-200 dark:border-slate-800'}`}>
                    <div className="min-w-0">
                      <div className="flex items-center gap-1.5">
                        <span className="truncate font-mono font-medium">{v.version}</span>
                        {v.running && <span className="rounded bg-emerald-100 px-1 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300">running</span>}
                      </div>
                      <div className="muted">{new Date(v.recordedAt).toLocaleString()}</div>
                    </div>
                    <button type="button" className="btn-secondary px-2 py-0.5 text-xs" aria-pressed={viewing} onClick={() => onShow(v.running ? undefined : v.version)}>
                      {/* The name says the version and contains what is shown ("View version 3-…"; pressed: "Viewing …"). */}
                      {viewing ? 'Viewing' : 'View'}
                      <span className="sr-only"> version {v.version}</span>
                    </button>
                  </li>
                );
              })}
            </ol>
            <div className="min-w-0 space-y-3">
              <div className="flex flex-wrap items-end gap-3">
                {(['from', 'to'] as const).map((side) => (
                  <LabeledField key={side} label={side === 'from' ? 'From version' : 'To version'}>
                    {(id) => (
                      <select id={id} className="field max-w-64 font-mono" value={side === 'from' ? from : to} onChange={(e) => setPicked({ from, to, [side]: e.target.value })}>
                        <option value="">—</option>
                        {newestFirst.map((v) => (
                          <option key={v.version} value={v.version}>
                            {v.version}
                          </option>
                        ))}
                      </select>
                    )}
                  </LabeledField>
                ))}
              </div>
              {!from || !to ? (
                <Empty>Two versions are needed for a diff.</Empty>
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

const kindTone: Record<ConfigDumpChange['kind'], string> = {
  added: 'text-emerald-700 dark:text-emerald-400',
  removed: 'text-rose-700 dark:text-rose-400',
  changed: 'text-amber-700 dark:text-amber-300',
};

const short = (v: unknown) => {
  const s = JSON.stringify(v);
  return s === undefined ? '' : s.length > 160 ? `${s.slice(0, 157)}…` : s;
};

export function DiffView({ diff }: { diff: ConfigDumpDiff }) {
  const [url, writeUrl] = useUrlState();
  const view = url.get('diff') === 'unified' ? 'unified' : 'changes';
  const setView = (v: 'changes' | 'unified') => writeUrl({ diff: v === 'unified' ? v : null });
  const showNoise = url.get('noise') === '1';
  const setShowNoise = (on: boolean) => writeUrl({ noise: on ? '1' : null });
  const shown = diffShown(diff, showNoise);
  const noise = showNoise ? diffShown(diff, false).hidden : shown.hidden;
  return (
    <section aria-label={`Diff from ${diff.fromVersion ?? '?'} to ${diff.toVersion ?? '?'}`} className="space-y-2">
      <div className="flex flex-wrap items-center gap-3">
        <div role="group" aria-label="Diff view" className="flex gap-1">
          {(['changes', 'unified'] as const).map((v) => (
            <button key={v} type="button" aria-pressed={view === v} className={view === v ? 'btn-primary' : 'btn-secondary'} onClick={() => setView(v)}>
              {v === 'changes' ? `Changes (${shown.changes.length})` : 'Unified text'}
            </button>
          ))}
        </div>
        <label className="muted flex items-center gap-1.5 text-xs">
          <input type="checkbox" checked={showNoise} onChange={(e) => setShowNoise(e.target.checked)} />
          Show {NOISE_FIELDS.join(' / ')} changes ({noise})
        </label>
      </div>
      {view === 'changes' ? (
        shown.changes.length === 0 ? (
          <Empty>{shown.hidden > 0 ? `No difference but ${NOISE_FIELDS.join(' / ')}.` : 'No difference.'}</Empty>
        ) : (
          <ul aria-label="Changes" tabIndex={0} className="max-h-[60vh] space-y-1 overflow-auto font-mono text-xs">
            {shown.changes.map((c, i) => (
              <li key={i} className="rounded border border-slate-200 px-2 py-1 break-all dark:border-slate-800">
                <span className={`font-sans font-semibold ${kindTone[c.kind]}`}>{c.kind}</span> {c.path}
                {c.kind !== 'added' && c.old !== undefined && <div className="text-rose-700 dark:text-rose-400">− {short(c.old)}</div>}
                {c.kind !== 'removed' && c.new !== undefined && <div className="text-emerald-700 dark:text-emerald-400">+ {short(c.new)}</div>}
              </li>
            ))}
          </ul>
        )
      ) : (
        <pre aria-label="Unified diff" tabIndex={0} className="max-h-[60vh] overflow-auto rounded bg-slate-50 p-2 font-mono text-xs dark:bg-slate-950">
          {shown.unified.split('\n').map((line, i) => (
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
