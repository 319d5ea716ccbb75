'use client';

import { formatBytes, formatCount } from '../../../lib/format.ts';
import type { Rule, RuleChain, RuleSet, RuleTable, TraceResult, TraceStep } from '../api/types.ts';

export type RuleMark = 'visited' | 'decided';

/** `ipv4|nat|KUMA_MESH_OUTBOUND|3` for a rule, so trace steps can be found in the tables. */
function ruleKey(family: string | undefined, table: string, chain: string, index: number | null): string {
  return `${family ?? '*'}|${table}|${chain}|${index ?? 'policy'}`;
}

/** Which rules a trace went through, and the one that decided. */
export function marksOf(trace: TraceResult | undefined): Map<string, RuleMark> {
  const marks = new Map<string, RuleMark>();
  for (const s of trace?.steps ?? []) {
    const mark: RuleMark = s.decided ? 'decided' : 'visited';
    marks.set(ruleKey(s.family, s.table, s.chain, s.index), mark);
    if (s.family) marks.set(ruleKey(undefined, s.table, s.chain, s.index), mark);
  }
  return marks;
}

function markOf(marks: Map<string, RuleMark>, t: RuleTable, c: RuleChain, index: number | null): RuleMark | undefined {
  return marks.get(ruleKey(t.family, t.name, c.name, index)) ?? marks.get(ruleKey(undefined, t.name, c.name, index));
}

/** The installed rules grouped by table and chain, with counters; ours marked; a trace's path highlighted. */
export function RuleSetView({ rules, trace }: { rules: RuleSet; trace?: TraceResult }) {
  const marks = marksOf(trace);
  return (
    <div className="space-y-6">
      {rules.tables.map((t) => (
        <section key={`${t.family}-${t.name}`} aria-label={`${t.family} ${t.name} table`}>
          <h3 className="mb-2 text-sm font-semibold">
            <span className="muted font-normal">{t.family} · </span>
            {t.name} table
          </h3>
          <div className="space-y-3">
            {t.chains.map((c) => (
              <ChainCard key={c.name} table={t} chain={c} marks={marks} />
            ))}
          </div>
        </section>
      ))}
    </div>
  );
}

function ChainCard({ table, chain, marks }: { table: RuleTable; chain: RuleChain; marks: Map<string, RuleMark> }) {
  const policyMark = markOf(marks, table, chain, null);
  return (
    <div className={`card overflow-hidden ${chain.ours ? 'border-l-4 border-l-sky-500' : ''}`}>
      <div className="flex flex-wrap items-center gap-2 border-b border-slate-200 px-3 py-1.5 dark:border-slate-800">
        <h4 className="font-mono text-sm font-semibold">{chain.name}</h4>
        {chain.ours && <OursBadge />}
        {chain.policy && (
          <span className={`rounded px-1.5 text-xs ${policyMark ? markTone(policyMark) : 'muted'}`}>
            policy {chain.policy}
            {policyMark === 'decided' && ' · decided'}
          </span>
        )}
        {chain.packets !== undefined && (
          <span className="muted ml-auto font-mono text-xs">
            {formatCount(chain.packets)} pkts · {formatBytes(chain.bytes ?? 0)}
          </span>
        )}
      </div>
      {chain.rules.length === 0 ? (
        <p className="muted px-3 py-2 text-xs">No rules.</p>
      ) : (
        <table className="w-full table-fixed text-xs" aria-label={`${table.family} ${table.name} ${chain.name} rules`}>
          <thead className="sr-only">
            <tr>
              <th>#</th>
              <th>Packets</th>
              <th>Bytes</th>
              <th>Rule</th>
            </tr>
          </thead>
          <tbody>
            {chain.rules.map((r) => (
              <RuleRow key={r.index} rule={r} mark={markOf(marks, table, chain, r.index)} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function RuleRow({ rule, mark }: { rule: Rule; mark?: RuleMark }) {
  return (
    <tr
      data-mark={mark}
      aria-current={mark === 'decided' ? 'step' : undefined}
      className={`border-b border-slate-100 last:border-0 dark:border-slate-800/70 ${mark ? markTone(mark) : ''}`}
    >
      <td className="muted w-10 px-3 py-1 text-right font-mono tabular-nums">{rule.index}</td>
      <td className="w-20 px-2 py-1 text-right font-mono tabular-nums" title={`${rule.packets} packets`}>
        {formatCount(rule.packets)}
      </td>
      <td className="w-20 px-2 py-1 text-right font-mono tabular-nums">{formatBytes(rule.bytes)}</td>
      <td className="px-3 py-1 font-mono break-all">
        {rule.ours && <OursBadge />} {rule.text}
        {mark === 'decided' && <span className="ml-2 rounded bg-amber-500 px-1 font-sans font-semibold text-white">decided</span>}
      </td>
    </tr>
  );
}

function markTone(mark: RuleMark): string {
  return mark === 'decided' ? 'bg-amber-200/80 dark:bg-amber-700/50 font-semibold' : 'bg-amber-50 dark:bg-amber-950/40';
}

function OursBadge() {
  return <span className="rounded bg-sky-100 px-1 font-sans text-[10px] font-semibold text-sky-800 uppercase dark:bg-sky-950 dark:text-sky-300">meshcap</span>;
}

export function stepText(s: TraceStep): string {
  return `${s.family ? `${s.family} ` : ''}${s.table}/${s.chain}${s.index === null ? ' policy' : ` #${s.index}`}`;
}
