'use client';

import { useDeferredValue, useMemo, useState } from 'react';
import { LabeledField } from '../../../components/labeled-field.tsx';
import type { ConfigDump } from '../api/types.ts';
import { configDumpExport } from '../config-dump-export.ts';
import { filterConfigDump, resourcesIn } from '../config-dump-filter.ts';
import { JsonTree, searchJson, type ExpandMode } from './json-tree.tsx';

async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) return navigator.clipboard.writeText(text);
  // Older browsers and non-secure origins: the selection-based fallback.
  const area = document.createElement('textarea');
  area.value = text;
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('the browser refused to copy');
}

/** The config dump as a searchable, collapsible tree, filtered by resource and name, with copy and export of what is shown. */
export function ConfigDumpViewer({ dump, dataplane, version }: { dump: ConfigDump; dataplane: string; version: string | undefined }) {
  const [resource, setResource] = useState('');
  const [name, setName] = useState('');
  const [search, setSearch] = useState('');
  const [expand, setExpand] = useState<{ mode: ExpandMode; generation: number }>({ mode: 'default', generation: 0 });
  const [copied, setCopied] = useState<{ ok: boolean; text: string } | null>(null);
  const query = useDeferredValue(search);

  const resources = useMemo(() => resourcesIn(dump), [dump]);
  const shown = useMemo(() => filterConfigDump(dump, resource, name), [dump, resource, name]);
  const matches = useMemo(() => searchJson(shown, query).count, [shown, query]);
  const file = useMemo(() => configDumpExport(shown, { dataplane, version, filtered: Boolean(resource || name.trim()) }), [shown, dataplane, version, resource, name]);
  const setMode = (mode: ExpandMode) => setExpand((e) => ({ mode, generation: e.generation + 1 }));

  const copy = () =>
    copyText(JSON.stringify(shown, null, 2)).then(
      () => setCopied({ ok: true, text: 'Copied to the clipboard.' }),
      (err: unknown) => setCopied({ ok: false, text: `Could not copy: ${err instanceof Error ? err.message : String(err)}` }),
    );

  return (
    <div className="card">
      <div className="flex flex-wrap items-end gap-3 border-b border-slate-200 p-3 dark:border-slate-800">
        <LabeledField label="Resource">
          {(id) => (
            <select id={id} className="field" value={resource} onChange={(e) => setResource(e.target.value)}>
              <option value="">All resources</option>
              {resources.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          )}
        </LabeledField>
        <LabeledField label="Name filter">
          {(id) => <input id={id} className="field w-48 font-mono" placeholder="inbound:" value={name} onChange={(e) => setName(e.target.value)} />}
        </LabeledField>
        <LabeledField label="Search config" className="min-w-48 flex-1">
          {(id) => <input id={id} type="search" className="field font-mono" placeholder="use_original_dst, 15006, fault…" value={search} onChange={(e) => setSearch(e.target.value)} />}
        </LabeledField>
        <p className="muted pb-2 text-xs" role="status" aria-label="Search matches">
          {query.trim() ? `${matches} ${matches === 1 ? 'match' : 'matches'}` : ''}
        </p>
        <div className="flex flex-wrap gap-2">
          <button type="button" className="btn-secondary" onClick={() => setMode('all')}>
            Expand all
          </button>
          <button type="button" className="btn-secondary" onClick={() => setMode('none')}>
            Collapse all
          </button>
          <button type="button" className="btn-secondary" onClick={() => void copy()}>
            Copy JSON
          </button>
          <a
            className="btn-primary"
            href="#export"
            download={file.fileName}
            onClick={(e) => {
              // The file is made when asked for: the link points at it just before the browser follows it.
              const url = URL.createObjectURL(new Blob([file.text], { type: 'application/json' }));
              e.currentTarget.href = url;
              setTimeout(() => URL.revokeObjectURL(url), 60_000);
            }}
          >
            Export JSON
          </a>
        </div>
      </div>
      {copied && (
        <p role={copied.ok ? 'status' : 'alert'} className={`px-3 pt-2 text-xs ${copied.ok ? 'text-emerald-700 dark:text-emerald-400' : 'text-rose-700 dark:text-rose-300'}`}>
          {copied.text}
        </p>
      )}
      <div className="max-h-[70vh] overflow-auto p-3">
        <JsonTree key={expand.generation} value={shown} query={query} mode={expand.mode} label="Config dump" />
      </div>
    </div>
  );
}
