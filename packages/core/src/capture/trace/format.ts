import type { RuleRef, TraceDecider, TraceResult, TraceStep, TraceVerdict } from './types.ts';

/** Human-readable trace: the verdict and deciding rule first, then every step grouped by hook. */

export function describeVerdict(v: TraceResult['verdict']): string {
  switch (v.kind) {
    case 'captured': {
      const port = v.portTo !== undefined ? `${v.port}-${v.portTo}` : `${v.port}`;
      return `captured to port ${port} via ${v.mechanism}${v.address ? ` (${v.address.includes(':') ? `[${v.address}]` : v.address}:${port})` : ''}`;
    }
    case 'dnat':
      return `DNAT to ${v.address ?? '(address unknown)'}${v.port !== undefined ? `:${v.port}` : ''}`;
    case 'accepted': {
      const where = `${v.address.includes(':') ? `[${v.address}]` : v.address}:${v.port}`;
      if (v.delivery === 'local') return `not captured: delivered to the local socket at ${where}`;
      if (v.delivery === 'forwarded') return `not captured: forwarded to ${where}`;
      return `not captured: sent to ${where}${v.iface ? ` via ${v.iface}` : ''}`;
    }
    case 'dropped':
      return 'dropped';
    case 'rejected':
      return `rejected${v.with ? ` (${v.with})` : ''}`;
    case 'queued':
      return 'queued to userspace (NFQUEUE)';
    case 'unknown':
      return `unknown: ${v.reason}`;
    case 'uncertain':
      return `UNCERTAIN, one of: ${v.possible.map((p: TraceVerdict) => describeVerdict(p)).join(' | ')}`;
  }
}

export function describeRuleRef(r: RuleRef): string {
  const fam = r.family === 'ip6' ? 'ip6 ' : r.family === 'inet' ? 'inet ' : '';
  return `${fam}${r.table} ${r.chain} #${r.index}${r.ours ? ' [meshcap]' : ''}: ${r.text}`;
}

export function describeDecider(d: TraceDecider): string {
  return d.kind === 'rule' ? describeRuleRef(d.rule) : `${d.table} ${d.chain} policy ${d.policy}`;
}

function stepLine(step: TraceStep): string {
  const where = `${step.table} ${step.chain}`;
  switch (step.kind) {
    case 'event':
      return `  · ${step.note ?? ''}`;
    case 'skip':
      return `  - ${where}: skipped (${step.note ?? ''})`;
    case 'policy':
      return `  = ${where}: ${step.action ?? 'policy'}`;
    case 'chain-end':
      return `  ↩ ${where}: end of chain, ${step.action ?? 'return'}`;
    case 'rule': {
      const mark = step.result === 'matched' ? '✔' : step.result === 'not-matched' ? '✘' : '?';
      const status = step.result === 'unknown' ? ` UNKNOWN (this path assumes it ${step.assumedMatched ? 'matched' : 'did not match'})` : '';
      const failing = step.matches?.find((m) => m.result === 'no-match') ?? step.matches?.find((m) => m.result === 'unknown');
      const why = step.result !== 'matched' && failing ? `  [${failing.match}: ${failing.reason}]` : '';
      const action = step.action ? `  → ${step.action}` : '';
      return `  ${mark} ${where} #${step.rule?.index ?? '?'}${step.rule?.ours ? ' [meshcap]' : ''}: ${step.rule?.text ?? ''}${status}${action}${why}`;
    }
  }
}

export function formatTraceText(result: TraceResult): string {
  const p = result.packet;
  const host = (a: string): string => (a.includes(':') ? `[${a}]` : a);
  const who = [p.uid !== undefined ? `uid ${p.uid}` : '', p.gid !== undefined ? `gid ${p.gid}` : '', p.mark !== undefined ? `mark 0x${p.mark.toString(16)}` : '', p.inIface ? `in ${p.inIface}` : '', p.outIface ? `out ${p.outIface}` : '']
    .filter(Boolean)
    .join(' ');
  const lines = [
    `packet:  ${p.direction} ${p.proto} ${host(p.src)}${p.srcPort !== undefined ? `:${p.srcPort}` : ''} -> ${host(p.dst)}:${p.dstPort}${who ? ` (${who})` : ''}`,
    `verdict: ${describeVerdict(result.verdict)}`,
  ];
  if (result.decidedBy) lines.push(`decided by: ${describeDecider(result.decidedBy)}`);
  lines.push('', result.outcomes.length > 1 ? 'path (assuming every unknown match did not match):' : 'path:');
  let hook = '';
  for (const step of result.steps) {
    if (step.hook !== hook) {
      hook = step.hook;
      lines.push(`${hook}`);
    }
    lines.push(stepLine(step));
  }
  if (result.outcomes.length > 1) {
    lines.push('', 'other paths:');
    for (const o of result.outcomes.slice(1)) {
      const when = o.assumptions.filter((a) => a.matched).map((a) => `${a.rule.table} ${a.rule.chain} #${a.rule.index} matched`).join(', ');
      lines.push(`  if ${when || 'no unknown rule matched'}: ${describeVerdict(o.verdict)}${o.decidedBy ? ` (by ${describeDecider(o.decidedBy)})` : ''}`);
    }
  }
  if (result.unknowns.length) {
    lines.push('', 'could not evaluate:');
    for (const u of result.unknowns) lines.push(`  ${describeRuleRef(u.rule)}`, ...u.reasons.map((r) => `      ${r}`));
  }
  if (result.explorationLimited) lines.push('', 'note: more combinations of unknown matches exist than were explored');
  lines.push('', 'assumptions:', ...result.assumptions.map((a) => `  - ${a}`));
  return lines.join('\n');
}
