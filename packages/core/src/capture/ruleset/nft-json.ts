import { MeshcapError } from '../../errors.ts';
import { COMMENT_PREFIX } from '../constants.ts';
import { parseCidr, type Cidr } from '../ip-address.ts';
import type { Action, Chain, ConntrackState, Hook, IdCondition, Match, PortRange, Rule, Ruleset, Table, TableFamily } from './types.ts';

/**
 * Maps `nft -j list ruleset` (or `list table`) into the same typed model as iptables-save, as far as
 * the expressions have an iptables equivalent; any other expression stays as an `unknown` match or
 * an `other` action holding its JSON text.
 */
export interface ParseNftJsonOptions {
  origin?: string;
  commentPrefix?: string;
  /** Rule texts from `nft -a list …` (see parseNftHandles), keyed `family/table/handle`. */
  texts?: ReadonlyMap<string, string>;
  /** Which tables to keep (default: all of family ip, ip6 and inet). */
  includeTable?: (family: TableFamily, name: string) => boolean;
}

type Json = unknown;
type Obj = Record<string, Json>;

const HOOKS: Record<string, Hook> = {
  prerouting: 'PREROUTING',
  input: 'INPUT',
  forward: 'FORWARD',
  output: 'OUTPUT',
  postrouting: 'POSTROUTING',
};

/** nft's named priorities (nft(8), "CHAINS"). */
const NAMED_PRIORITIES: Record<string, number> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };

const FULL_MASK = 0xffffffff;

function isObj(v: Json): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The single key of `{ key: value }` expression objects. */
function only(v: Json): [string, Json] | undefined {
  if (!isObj(v)) return undefined;
  const keys = Object.keys(v);
  return keys.length === 1 ? [keys[0]!, v[keys[0]!]] : undefined;
}

function metaKey(v: Json): string | undefined {
  const e = only(v);
  return e && e[0] === 'meta' && isObj(e[1]) && typeof e[1].key === 'string' ? e[1].key : undefined;
}

function ctKey(v: Json): string | undefined {
  const e = only(v);
  return e && e[0] === 'ct' && isObj(e[1]) && typeof e[1].key === 'string' && e[1].dir === undefined ? e[1].key : undefined;
}

function payload(v: Json): { protocol: string; field: string } | undefined {
  const e = only(v);
  if (!e || e[0] !== 'payload' || !isObj(e[1])) return undefined;
  const { protocol, field } = e[1];
  return typeof protocol === 'string' && typeof field === 'string' ? { protocol, field } : undefined;
}

/** The members of a right-hand side: a value, `{set: [...]}` or an array. */
function members(v: Json): Json[] {
  const e = only(v);
  if (e && e[0] === 'set' && Array.isArray(e[1])) return e[1];
  return Array.isArray(v) ? v : [v];
}

function asRange(v: Json): [Json, Json] | undefined {
  const e = only(v);
  return e && e[0] === 'range' && Array.isArray(e[1]) && e[1].length === 2 ? [e[1][0], e[1][1]] : undefined;
}

function numberRanges(v: Json, max: number): Array<{ from: number; to: number }> | undefined {
  const out: Array<{ from: number; to: number }> = [];
  for (const m of members(v)) {
    const r = asRange(m);
    const [a, b] = r ?? [m, m];
    if (typeof a !== 'number' || typeof b !== 'number' || a > b || a < 0 || b > max) return undefined;
    out.push({ from: a, to: b });
  }
  return out.length ? out : undefined;
}

function cidrs(v: Json): Cidr[] | undefined {
  const out: Cidr[] = [];
  for (const m of members(v)) {
    const e = only(m);
    let c: Cidr | undefined;
    if (typeof m === 'string') c = parseCidr(m);
    else if (e && e[0] === 'prefix' && isObj(e[1]) && typeof e[1].addr === 'string' && typeof e[1].len === 'number') c = parseCidr(`${e[1].addr}/${e[1].len}`);
    if (!c) return undefined;
    out.push(c);
  }
  return out.length ? out : undefined;
}

function strings(v: Json): string[] | undefined {
  const list = members(v);
  return list.every((s) => typeof s === 'string') ? (list as string[]) : undefined;
}

/** `x & mask` on the left of a match: the inner expression and the mask. */
function masked(v: Json): { inner: Json; mask: Json } | undefined {
  const e = only(v);
  return e && e[0] === '&' && Array.isArray(e[1]) && e[1].length === 2 ? { inner: e[1][0], mask: e[1][1] } : undefined;
}

function matchFromExpr(match: Obj): Match | undefined {
  const { op, left, right } = match;
  if (typeof op !== 'string') return undefined;
  const negated = op === '!=';
  if (!negated && op !== '==' && op !== 'in') return undefined;

  const meta = metaKey(left);
  if (meta === 'l4proto' && (typeof right === 'string' || typeof right === 'number')) return { kind: 'protocol', negated, protocol: String(right) };
  if (meta === 'nfproto' && (right === 'ipv4' || right === 'ipv6')) return { kind: 'family', negated, family: right };
  if ((meta === 'iifname' || meta === 'oifname' || meta === 'iif' || meta === 'oif') && typeof right === 'string') {
    const wildcard = right.endsWith('*');
    return { kind: 'interface', field: meta.startsWith('i') ? 'in' : 'out', negated, name: wildcard ? right.slice(0, -1) : right, wildcard };
  }
  if (meta === 'skuid' || meta === 'skgid') {
    const ranges = numberRanges(right, FULL_MASK);
    if (!ranges) return undefined;
    const cond: IdCondition = { negated, ranges };
    return meta === 'skuid' ? { kind: 'owner', uid: cond, supplementaryGroups: false } : { kind: 'owner', gid: cond, supplementaryGroups: false };
  }
  if (meta === 'mark' && typeof right === 'number') return { kind: 'mark', negated, value: right >>> 0, mask: FULL_MASK };
  const ct = ctKey(left);
  if (ct === 'mark' && typeof right === 'number') return { kind: 'connmark', negated, value: right >>> 0, mask: FULL_MASK };
  if (ct === 'state') {
    const states = strings(right)?.map((s) => s.toUpperCase());
    if (!states?.every((s) => ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'].includes(s))) return undefined;
    return { kind: 'conntrack', state: { negated, states: states as ConntrackState[] } };
  }
  const m = masked(left);
  if (m && typeof m.mask === 'number' && typeof right === 'number') {
    if (metaKey(m.inner) === 'mark') return { kind: 'mark', negated, value: right >>> 0, mask: m.mask >>> 0 };
    if (ctKey(m.inner) === 'mark') return { kind: 'connmark', negated, value: right >>> 0, mask: m.mask >>> 0 };
  }
  if (m && payload(m.inner)?.protocol === 'tcp' && payload(m.inner)?.field === 'flags') {
    const mask = strings(m.mask);
    const set = right === 0 ? [] : strings(right);
    if (mask && set && op !== 'in') return { kind: 'tcp-flags', negated, mask: mask.map((f) => f.toUpperCase()), set: set.map((f) => f.toUpperCase()) };
  }
  const p = payload(left);
  if (p && (p.protocol === 'ip' || p.protocol === 'ip6') && (p.field === 'saddr' || p.field === 'daddr')) {
    const list = cidrs(right);
    const family = p.protocol === 'ip' ? 'ipv4' : 'ipv6';
    if (!list || list.some((c) => c.family !== family)) return undefined;
    return { kind: 'address', field: p.field === 'saddr' ? 'source' : 'destination', negated, cidrs: list };
  }
  if (p && ((p.protocol === 'ip' && p.field === 'protocol') || (p.protocol === 'ip6' && p.field === 'nexthdr')) && (typeof right === 'string' || typeof right === 'number')) {
    return { kind: 'protocol', negated, protocol: String(right) };
  }
  if (p && (p.field === 'sport' || p.field === 'dport') && ['tcp', 'udp', 'sctp', 'dccp', 'udplite', 'th'].includes(p.protocol)) {
    const ranges: PortRange[] | undefined = numberRanges(right, 65535);
    if (!ranges) return undefined;
    return { kind: 'port', field: p.field === 'sport' ? 'source' : 'destination', negated, ranges, ...(p.protocol !== 'th' ? { protocol: p.protocol } : {}) };
  }
  const fib = only(left);
  if (fib && fib[0] === 'fib' && isObj(fib[1]) && fib[1].result === 'type' && Array.isArray(fib[1].flags)) {
    const flags = fib[1].flags as Json[];
    const types = strings(right)?.map((t) => t.toUpperCase());
    if (!types) return undefined;
    const side = { negated, types };
    const limitIface = flags.includes('iif') ? 'in' : flags.includes('oif') ? 'out' : undefined;
    if (flags.includes('daddr') && !flags.includes('saddr')) return { kind: 'addrtype', destination: side, ...(limitIface ? { limitIface } : {}) };
    if (flags.includes('saddr') && !flags.includes('daddr')) return { kind: 'addrtype', source: side, ...(limitIface ? { limitIface } : {}) };
    return undefined;
  }
  const sock = only(left);
  if (sock && sock[0] === 'socket' && isObj(sock[1]) && sock[1].key === 'transparent' && right === 1 && !negated) return { kind: 'socket', options: ['transparent'] };
  return undefined;
}

function markValue(v: Json): { value: number; mask: number } | undefined {
  if (typeof v === 'number') return { value: v >>> 0, mask: FULL_MASK };
  const e = only(v);
  if (!e || !Array.isArray(e[1]) || e[1].length !== 2 || metaKey(e[1][0]) !== 'mark' || typeof e[1][1] !== 'number') return undefined;
  const n = e[1][1] >>> 0;
  if (e[0] === '|') return { value: n, mask: n };
  if (e[0] === '&') return { value: 0, mask: ~n >>> 0 };
  if (e[0] === '^') return { value: n, mask: 0 };
  return undefined;
}

function portOf(v: Json): PortRange | undefined {
  if (typeof v === 'number') return { from: v, to: v };
  const r = asRange(v);
  return r && typeof r[0] === 'number' && typeof r[1] === 'number' ? { from: r[0], to: r[1] } : undefined;
}

function natTarget(v: Obj): string {
  const addr = typeof v.addr === 'string' ? v.addr : '';
  const port = portOf(v.port);
  const portText = port ? (port.from === port.to ? `${port.from}` : `${port.from}-${port.to}`) : '';
  if (!port) return addr;
  return addr.includes(':') ? `[${addr}]:${portText}` : `${addr}:${portText}`;
}

function actionFromStatement(key: string, value: Json, text: string): Action | undefined {
  switch (key) {
    case 'accept':
      return { kind: 'accept' };
    case 'drop':
      return { kind: 'drop' };
    case 'return':
      return { kind: 'return' };
    case 'jump':
    case 'goto':
      return isObj(value) && typeof value.target === 'string' ? { kind: key, chain: value.target } : undefined;
    case 'reject':
      return isObj(value) && typeof value.expr === 'string' ? { kind: 'reject', with: value.expr } : { kind: 'reject' };
    case 'redirect': {
      if (!isObj(value) || value.port === undefined) return value === null || (isObj(value) && Object.keys(value).length === 0) ? { kind: 'redirect' } : undefined;
      const ports = portOf(value.port);
      return ports ? { kind: 'redirect', ports } : undefined;
    }
    case 'tproxy': {
      if (!isObj(value) || typeof value.port !== 'number') return undefined;
      return { kind: 'tproxy', port: value.port, ...(typeof value.addr === 'string' ? { address: value.addr } : {}) };
    }
    case 'mangle': {
      if (!isObj(value)) return undefined;
      const { key: target, value: v } = value;
      if (metaKey(target) === 'mark') {
        if (ctKey(v) === 'mark') return { kind: 'connmark', op: 'restore', nfmask: FULL_MASK, ctmask: FULL_MASK };
        const change = markValue(v);
        return change ? { kind: 'mark', change } : undefined;
      }
      if (ctKey(target) === 'mark') {
        if (metaKey(v) === 'mark') return { kind: 'connmark', op: 'save', nfmask: FULL_MASK, ctmask: FULL_MASK };
        if (typeof v === 'number') return { kind: 'connmark', op: 'set', change: { value: v >>> 0, mask: FULL_MASK }, nfmask: FULL_MASK, ctmask: FULL_MASK };
      }
      if (ctKey(target) === 'zone' && typeof v === 'number') return { kind: 'ct', notrack: false, zone: v, options: [] };
      return undefined;
    }
    case 'notrack':
      return { kind: 'ct', notrack: true, options: [] };
    case 'log':
      return {
        kind: 'log',
        ...(isObj(value) && typeof value.prefix === 'string' ? { prefix: value.prefix } : {}),
        ...(isObj(value) && value.level !== undefined ? { level: String(value.level) } : {}),
      };
    case 'dnat':
    case 'snat':
      return isObj(value) ? { kind: key, to: natTarget(value) } : undefined;
    case 'masquerade': {
      const ports = isObj(value) ? portOf(value.port) : undefined;
      return ports ? { kind: 'masquerade', ports } : { kind: 'masquerade' };
    }
    case 'queue':
      return { kind: 'queue', text };
    default:
      return undefined;
  }
}

function priorityOf(prio: Json): number | undefined {
  if (typeof prio === 'number') return prio;
  if (typeof prio !== 'string') return undefined;
  const m = /^([a-z]+)\s*(?:([+-])\s*(\d+))?$/.exec(prio.trim());
  const base = m ? NAMED_PRIORITIES[m[1]!] : undefined;
  if (base === undefined) return undefined;
  return m?.[2] ? base + (m[2] === '-' ? -1 : 1) * Number(m[3]) : base;
}

/** Parses nft JSON text or an already parsed object. */
export function parseNftJson(input: string | Json, options: ParseNftJsonOptions = {}): Ruleset {
  const { origin } = options;
  const prefix = options.commentPrefix ?? COMMENT_PREFIX;
  let doc: Json = input;
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input);
    } catch (err) {
      throw new MeshcapError('MESHCAP_ERR_RULESET_SYNTAX', `${origin ?? 'nft JSON'}: not JSON (${(err as Error).message})`);
    }
  }
  if (!isObj(doc) || !Array.isArray(doc.nftables)) {
    throw new MeshcapError('MESHCAP_ERR_RULESET_SYNTAX', `${origin ?? 'nft JSON'}: expected {"nftables": [...]} as \`nft -j list ruleset\` prints`);
  }
  const ruleset: Ruleset = { tables: [], sources: [], warnings: [] };
  const source: Ruleset['sources'][number] = { kind: 'nft-json', ...(origin ? { origin } : {}) };
  ruleset.sources.push(source);
  const include = options.includeTable ?? (() => true);
  const tables = new Map<string, Table>();
  const tableOf = (family: Json, name: Json): Table | undefined => tables.get(`${String(family)}/${String(name)}`);
  // Tables left out on purpose (other families, not included); anything else a chain or rule names is missing.
  const skipped = new Set<string>();
  const missing = (what: string, o: Obj, container: string): void => {
    if (!skipped.has(`${String(o.family)}/${String(o.table)}`)) ruleset.warnings.push(`nft ${what} ${JSON.stringify(o.family)} ${JSON.stringify(o.table)} ${JSON.stringify(what === 'rule' ? o.chain : o.name)}: its ${container} is not declared before it; ignored`);
  };

  for (const item of doc.nftables as Json[]) {
    const entry = only(item);
    if (!entry || !isObj(entry[1])) continue;
    const [kind, o] = entry as [string, Obj];
    if (kind === 'metainfo') {
      if (typeof o.version === 'string') source.generatedBy = `nft ${o.version}`;
    } else if (kind === 'table') {
      const family = o.family;
      if (family !== 'ip' && family !== 'ip6' && family !== 'inet') {
        skipped.add(`${String(family)}/${String(o.name)}`);
        continue;
      }
      if (typeof o.name !== 'string' || !include(family, o.name)) {
        skipped.add(`${family}/${String(o.name)}`);
        continue;
      }
      const table: Table = { backend: 'nftables', family, name: o.name, chains: [] };
      tables.set(`${family}/${o.name}`, table);
      ruleset.tables.push(table);
    } else if (kind === 'chain') {
      const table = tableOf(o.family, o.table);
      if (!table || typeof o.name !== 'string') {
        missing('chain', o, 'table');
        continue;
      }
      const chain: Chain = { name: o.name, rules: [] };
      if (typeof o.hook === 'string') {
        const hook = HOOKS[o.hook];
        const priority = priorityOf(o.prio);
        const type = o.type === 'nat' || o.type === 'route' ? o.type : 'filter';
        if (hook && priority !== undefined) chain.base = { hook, priority, type };
        else ruleset.warnings.push(`nft chain ${table.family} ${table.name} ${o.name}: hook "${o.hook}" priority ${JSON.stringify(o.prio)} is not one meshcap traces`);
        chain.policy = o.policy === 'drop' ? 'DROP' : 'ACCEPT';
      }
      table.chains.push(chain);
    } else if (kind === 'rule') {
      const table = tableOf(o.family, o.table);
      const chain = table?.chains.find((c) => c.name === o.chain);
      if (!table || !chain) {
        missing('rule', o, table ? 'chain' : 'table');
        continue;
      }
      chain.rules.push(ruleFromJson(o, table, chain, prefix, options.texts));
    }
  }
  return ruleset;
}

function ruleFromJson(o: Obj, table: Table, chain: Chain, prefix: string, texts: ReadonlyMap<string, string> | undefined): Rule {
  const matches: Match[] = [];
  const actions: Action[] = [];
  let counters: Rule['counters'];
  // A rule without an expression list is not something nft prints: keep it as one unknown match, never as "matches all".
  const exprs = Array.isArray(o.expr) ? (o.expr as Json[]) : [o.expr ?? null];
  let sideEffectSeen = false;
  for (const expr of exprs) {
    const e = only(expr);
    const text = JSON.stringify(expr);
    if (!e) {
      matches.push({ kind: 'unknown', text });
      continue;
    }
    const [key, value] = e;
    if (key === 'match' && isObj(value)) {
      const m = matchFromExpr(value);
      // A match after a statement that changes the packet (e.g. `meta mark set 1 meta mark 1`) would be
      // evaluated against the changed packet; the model has no order between the two, so keep it unknown.
      matches.push(m && !sideEffectSeen ? m : { kind: 'unknown', text });
    } else if (key === 'limit' || key === 'quota' || key === 'connlimit' || key === 'numgen') {
      // Statements that let the rule go on or not depending on state the tracer cannot see: a match.
      matches.push({ kind: 'unknown', text });
    } else if (key === 'counter') {
      if (isObj(value) && typeof value.packets === 'number' && typeof value.bytes === 'number') counters = { packets: value.packets, bytes: value.bytes };
    } else {
      const a = actionFromStatement(key, value, text);
      actions.push(a ?? { kind: 'other', name: key, text });
      if (key !== 'log') sideEffectSeen = true;
    }
  }
  const comment = typeof o.comment === 'string' ? o.comment : undefined;
  const handle = typeof o.handle === 'number' ? o.handle : undefined;
  const text = (handle !== undefined ? texts?.get(`${table.family}/${table.name}/${handle}`) : undefined) ?? JSON.stringify(exprs);
  return {
    backend: 'nftables',
    family: table.family,
    table: table.name,
    chain: chain.name,
    index: chain.rules.length + 1,
    ...(handle !== undefined ? { handle } : {}),
    text,
    ...(counters ? { counters } : {}),
    matches,
    actions,
    ...(comment !== undefined ? { comment } : {}),
    ours: comment !== undefined && prefix !== '' && comment.startsWith(prefix),
  };
}

/**
 * Reads `nft -a list ruleset` text into `family/table/handle` → rule text (the statement as nft
 * prints it, without the `# handle N` suffix), so rules keep their familiar spelling.
 */
export function parseNftHandles(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let table: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const t = /^table (\S+) (\S+) \{/.exec(line);
    if (t) {
      table = `${t[1]}/${t[2]}`;
      continue;
    }
    const h = /^(.*?)\s+# handle (\d+)$/.exec(line);
    if (!table || !h || /^(chain|set|map|flowtable|table) /.test(line) || /^type .* hook /.test(line)) continue;
    out.set(`${table}/${h[2]}`, h[1] ?? '');
  }
  return out;
}
