import type { TraceResult, TraceStep, TraceVerdict } from './api/types.ts';

/** How a rule took part in a trace: evaluated, matched, or the one that decided. */
export type RuleMark = 'visited' | 'matched' | 'decided';

/** `ip|nat|KUMA_MESH_OUTBOUND|3`; `index` null stands for the chain's policy. */
export function ruleKey(family: string, table: string, chain: string, index: number | null): string {
  return `${family}|${table}|${chain}|${index ?? 'policy'}`;
}

/** The marks a trace puts on the rule tables. */
export function marksOf(trace: TraceResult | undefined): Map<string, RuleMark> {
  const marks = new Map<string, RuleMark>();
  if (!trace) return marks;
  for (const s of trace.steps) {
    if (s.kind === 'rule' && s.rule) marks.set(ruleKey(s.rule.family, s.rule.table, s.rule.chain, s.rule.index), s.result === 'matched' ? 'matched' : 'visited');
    if (s.kind === 'policy') marks.set(ruleKey(s.family, s.table, s.chain, null), 'visited');
  }
  const d = trace.decidedBy;
  if (d?.kind === 'rule') marks.set(ruleKey(d.rule.family, d.rule.table, d.rule.chain, d.rule.index), 'decided');
  if (d?.kind === 'policy') marks.set(ruleKey(d.family, d.table, d.chain, null), 'decided');
  return marks;
}

export function verdictText(v: TraceResult['verdict']): string {
  if (v.kind === 'uncertain') return `uncertain — one of: ${v.possible.map(oneVerdict).join('; ')}`;
  return oneVerdict(v);
}

function oneVerdict(v: TraceVerdict): string {
  switch (v.kind) {
    case 'captured':
      return `captured by ${v.mechanism} to port ${v.port}${v.address ? ` on ${v.address}` : ''}`;
    case 'dnat':
      return `DNAT to ${v.address ?? '?'}${v.port ? `:${v.port}` : ''}`;
    case 'accepted':
      return `accepted (${v.delivery}) to ${v.address}:${v.port}${v.iface ? ` via ${v.iface}` : ''}`;
    case 'rejected':
      return `rejected${v.with ? ` with ${v.with}` : ''}`;
    case 'unknown':
      return `unknown: ${v.reason}`;
    default:
      return v.kind;
  }
}

export function stepText(s: TraceStep): string {
  const where = `${s.table}/${s.chain}`;
  if (s.kind === 'rule' && s.rule) return `${where} #${s.rule.index}`;
  return `${where} ${s.kind}`;
}
