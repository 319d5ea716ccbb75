'use client';

import { formatBytes, formatCount } from '../../../lib/format.ts';
import type { Chain, Rule, Ruleset, Table, TraceResult } from '../api/types.ts';
import { marksOf, ruleKey, type RuleMark } from '../trace-marks.ts';

function markOf(marks: Map<string, RuleMark>, t: Table, c: Chain, index: number | null): RuleMark | undefined {
  return marks.get(ruleKey(t.family, t.name, c.name, index));
}

/** The installed rules grouped by table and chain, with counters; ours marked; a trace's path highlighted. */
export function RuleSetView({ rules, trace }: { rules: Ruleset; trace?: TraceResult }) {
  const marks = marksOf(trace);
  return (
    <div className="space-y-6">
      {rules.tables.map((t) => (
        <section key={`${t.family}-${t.name}`} aria-label={`${t.family} ${t.name} table`}>
          <h3 className="mb-2 text-sm font-semibold">
            {t.name} table
            <span className="muted font-normal">
              {' '}
              · {familyName(t.family)} · {t.backend}
              {t.flavour ? ` (${t.flavour})` : ''}
            </span>
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

/** A user chain holding only our rules is ours (KUMA_MESH_*); built-in chains never are. */
const isOurChain = (c: Chain) => !c.base && c.rules.length > 0 && c.rules.every((r) => r.ours);

function ChainCard({ table, chain, marks }: { table: Table; chain: Chain; marks: Map<string, RuleMark> }) {
  const policyMark = markOf(marks, table, chain, null);
  const ours = isOurChain(chain);
  return (
    <div className={`card overflow-hidden ${ours ? 'border-l-4 border-l-sky-500' : ''}`}>
      <div className="flex flex-wrap items-center gap-2 border-b border-slate-200 px-3 py-1.5 dark:border-slate-800">
        <h4 className="font-mono text-sm font-semibold">{chain.name}</h4>
        {ours && <OursBadge />}
        {chain.base && <span className="muted text-xs">hook {chain.base.hook}</span>}
        {chain.policy && (
          <span className={`rounded px-1.5 text-xs ${policyMark ? markTone(policyMark) : 'muted'}`}>
            policy {chain.policy}
            {policyMark === 'decided' && ' · decided'}
          </span>
        )}
        {chain.counters && (
          <span className="muted ml-auto font-mono text-xs" title="packets and bytes that reached the chain policy">
            {formatCount(chain.counters.packets)} pkts · {formatBytes(chain.counters.bytes)}
          </span>
        )}
      </div>
      {chain.rules.length === 0 ? (
        <p className="muted px-3 py-2 text-xs">No rules.</p>
      ) : (
        <table className="w-full table-fixed text-xs" aria-label={`${table.family} ${table.name} ${chain.name} rules`}>
          {/* A fixed layout takes its widths from the first row; the columns say them so the rule
              text, not the counters, gets what is left. */}
          <colgroup>
            <col data-column="index" className="w-10" />
            <col data-column="packets" className="w-20" />
            <col data-column="bytes" className="w-20" />
            <col data-column="rule" />
          </colgroup>
          <thead className="muted border-b border-slate-100 text-[10px] tracking-wide uppercase dark:border-slate-800/70">
            <tr>
              <th scope="col" className="px-3 py-1 text-right font-medium">
                #
              </th>
              <th scope="col" className="px-2 py-1 text-right font-medium">
                Packets
              </th>
              <th scope="col" className="px-2 py-1 text-right font-medium">
                Bytes
              </th>
              <th scope="col" className="px-3 py-1 text-left font-medium">
                Rule
              </th>
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
      <td className="muted px-3 py-1 text-right font-mono tabular-nums">{rule.index}</td>
      <td className="px-2 py-1 text-right font-mono tabular-nums" title={rule.counters ? `${rule.counters.packets} packets` : 'no counters'}>
        {formatCount(rule.counters?.packets)}
      </td>
      <td className="px-2 py-1 text-right font-mono tabular-nums">{formatBytes(rule.counters?.bytes)}</td>
      <td className="px-3 py-1 font-mono break-words">
        {rule.ours && <OursBadge />} {rule.text}
        {mark === 'decided' && <span className="ml-2 rounded bg-amber-500 px-1 font-sans font-semibold text-white">decided</span>}
      </td>
    </tr>
  );
}

function markTone(mark: RuleMark): string {
  if (mark === 'decided') return 'bg-amber-300/80 font-semibold dark:bg-amber-600/60';
  if (mark === 'matched') return 'bg-amber-100 dark:bg-amber-900/50';
  return 'bg-amber-50/60 dark:bg-amber-950/30';
}

function OursBadge() {
  return <span className="rounded bg-sky-100 px-1 font-sans text-[10px] font-semibold text-sky-800 uppercase dark:bg-sky-950 dark:text-sky-300">meshcap</span>;
}

const familyName = (f: string) => (f === 'ip' ? 'IPv4' : f === 'ip6' ? 'IPv6' : f);
