import { parseCidr } from '../ip-address.ts';
import type { Token } from './tokenize.ts';
import type { Action, ConntrackState, Counters, IdCondition, MarkChange, Match, PortRange } from './types.ts';

/** What one `-A CHAIN …` argument list means. Nothing is dropped: what is not understood stays as text. */
export interface ParsedRuleArgs {
  matches: Match[];
  actions: Action[];
  comment?: string;
  /** Counters given inline with `-c PKTS BYTES`. */
  counters?: Counters;
}

const TOP_LEVEL = new Set([
  '-p', '--protocol', '-s', '--source', '--src', '-d', '--destination', '--dst', '-i', '--in-interface',
  '-o', '--out-interface', '-f', '--fragment', '-m', '--match', '-j', '--jump', '-g', '--goto', '-c', '--set-counters',
]);

const CT_STATES = new Set<ConntrackState>(['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'SNAT', 'DNAT']);
const FULL_MASK = 0xffffffff;

interface ModuleOption {
  negated: boolean;
  name: string;
  values: string[];
  /** Token span [first, end) of `[!] --name values…`, for keeping unknown options verbatim. */
  first: number;
  end: number;
}

function isOptionToken(t: Token | undefined): boolean {
  return !!t && !t.quoted && t.value.startsWith('-') && t.value.length > 1;
}

function isNegation(t: Token | undefined): boolean {
  return !!t && !t.quoted && t.value === '!';
}

/** A decimal or 0x-hex 32-bit value. */
export function parseU32(text: string): number | undefined {
  if (!/^(0x[0-9a-fA-F]{1,8}|\d{1,10})$/.test(text)) return undefined;
  const n = Number(text);
  return n <= FULL_MASK ? n : undefined;
}

/** `value[/mask]`, the mask defaulting to all ones. */
export function parseValueMask(text: string): { value: number; mask: number } | undefined {
  const [v, m] = text.split('/');
  const value = parseU32(v ?? '');
  const mask = m === undefined ? FULL_MASK : parseU32(m);
  if (value === undefined || mask === undefined) return undefined;
  return { value, mask };
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

/** `80`, `1024:65535`, `:1023`, `1024:` (iptables) or `1024-65535` (REDIRECT/nft). */
export function parsePortRange(text: string): PortRange | undefined {
  const sep = text.includes(':') ? ':' : text.includes('-') ? '-' : undefined;
  if (!sep) {
    const p = parsePort(text);
    return p === undefined ? undefined : { from: p, to: p };
  }
  const [a = '', b = ''] = text.split(sep);
  const from = a === '' ? 0 : parsePort(a);
  const to = b === '' ? 65535 : parsePort(b);
  if (from === undefined || to === undefined || from > to) return undefined;
  return { from, to };
}

/** `a,b,c` where every item must parse; undefined as soon as one does not. */
function parseList<T>(text: string, parse: (item: string) => T | undefined): T[] | undefined {
  const out: T[] = [];
  for (const part of text.split(',')) {
    const item = parse(part);
    if (item === undefined) return undefined;
    out.push(item);
  }
  return out;
}

function parseIdCondition(text: string, negated: boolean): IdCondition | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from > to) return undefined;
  return { negated, ranges: [{ from, to }] };
}

function parseInterface(name: string): { name: string; wildcard: boolean } {
  return name.endsWith('+') ? { name: name.slice(0, -1), wildcard: true } : { name, wildcard: false };
}

/** Options whose argument the parser reads as one value (a protocol, an interface, a module, a target or chain). */
const NEEDS_ARGUMENT: ReadonlySet<string> = new Set(['-p', '--protocol', '-i', '--in-interface', '-o', '--out-interface', '-m', '--match', '-j', '--jump', '-g', '--goto']);

/** Parses the words after `-A CHAIN`. `chains` are the table's chain names, so `-j NAME` can be told from a target. */
export function parseRuleArgs(line: string, tokens: readonly Token[], chains: ReadonlySet<string>): ParsedRuleArgs {
  const out: ParsedRuleArgs = { matches: [], actions: [] };
  const text = (first: number, end: number): string => {
    const a = tokens[first];
    const b = tokens[end - 1];
    return a && b ? line.slice(a.start, b.end) : '';
  };
  const unknown = (first: number, end: number, module?: string): void => {
    out.matches.push(module === undefined ? { kind: 'unknown', text: text(first, end) } : { kind: 'unknown', module, text: text(first, end) });
  };
  let ruleProtocol: string | undefined;

  let i = 0;
  while (i < tokens.length) {
    const first = i;
    const negated = isNegation(tokens[i]);
    if (negated) i++;
    const opt = tokens[i]?.value ?? '';
    const arg = tokens[i + 1]?.value;
    // Its argument missing, the option and the rest of the line are kept verbatim.
    if (arg === undefined && NEEDS_ARGUMENT.has(opt)) return (unknown(first, tokens.length), out);
    switch (opt) {
      case '-p':
      case '--protocol': {
        const protocol = arg!.toLowerCase();
        if (!negated) ruleProtocol = protocol;
        out.matches.push({ kind: 'protocol', negated, protocol });
        i += 2;
        break;
      }
      case '-s':
      case '--source':
      case '--src':
      case '-d':
      case '--destination':
      case '--dst': {
        const cidrs = arg === undefined ? undefined : parseList(arg, parseCidr);
        if (cidrs) out.matches.push({ kind: 'address', field: opt.startsWith('-s') || opt.startsWith('--s') ? 'source' : 'destination', negated, cidrs });
        else unknown(first, Math.min(i + 2, tokens.length));
        i += 2;
        break;
      }
      case '-i':
      case '--in-interface':
      case '-o':
      case '--out-interface': {
        out.matches.push({ kind: 'interface', field: opt === '-i' || opt === '--in-interface' ? 'in' : 'out', negated, ...parseInterface(arg!) });
        i += 2;
        break;
      }
      case '-f':
      case '--fragment':
        out.matches.push({ kind: 'fragment', negated });
        i += 1;
        break;
      case '-c':
      case '--set-counters': {
        const packets = Number(arg);
        const bytes = Number(tokens[i + 2]?.value);
        if (Number.isSafeInteger(packets) && Number.isSafeInteger(bytes)) out.counters = { packets, bytes };
        else unknown(first, Math.min(i + 3, tokens.length));
        i += 3;
        break;
      }
      case '-m':
      case '--match': {
        const { options, end } = collectOptions(tokens, i + 2);
        parseModule(arg!, options, first, end, ruleProtocol, out, unknown);
        i = end;
        break;
      }
      case '-j':
      case '--jump':
      case '-g':
      case '--goto': {
        const { options, end } = collectOptions(tokens, i + 2);
        const isGoto = opt === '-g' || opt === '--goto';
        if (isGoto) out.actions.push({ kind: 'goto', chain: arg! });
        else out.actions.push(parseTarget(arg!, options, text(first + (negated ? 1 : 0), end), chains));
        // Options a goto cannot take are kept rather than dropped.
        if (isGoto && options.length) unknown(i + 2, end);
        i = end;
        break;
      }
      default: {
        // iptables-restore input may give `--dport` without `-m tcp`: the -p protocol's module is implied.
        if (!negated && ruleProtocol && ['tcp', 'udp', 'sctp', 'dccp', 'udplite'].includes(ruleProtocol) && opt.startsWith('--')) {
          const { options, end } = collectOptions(tokens, first);
          if (options.length) {
            parseModule(ruleProtocol, options, first, end, ruleProtocol, out, unknown);
            i = end;
            break;
          }
        }
        // Not an option we know: keep it (and its values) verbatim.
        let end = i + 1;
        while (end < tokens.length && !isOptionToken(tokens[end]) && !isNegation(tokens[end])) end++;
        unknown(first, end);
        i = end;
      }
    }
  }
  const comment = out.matches.find((m) => m.kind === 'comment');
  if (comment) out.comment = comment.comment;
  return out;
}

/** Collects `[!] --opt values…` groups starting at `i`, up to the next top-level option. */
function collectOptions(tokens: readonly Token[], i: number): { options: ModuleOption[]; end: number } {
  const options: ModuleOption[] = [];
  while (i < tokens.length) {
    const first = i;
    const negated = isNegation(tokens[i]);
    if (negated) i++;
    const t = tokens[i];
    if (!t || !isOptionToken(t) || TOP_LEVEL.has(t.value)) {
      i = first;
      break;
    }
    i++;
    const values: string[] = [];
    while (i < tokens.length && !isOptionToken(tokens[i]) && !isNegation(tokens[i])) values.push(tokens[i++]!.value);
    options.push({ negated, name: t.value, values, first, end: i });
  }
  return { options, end: i };
}

type UnknownSink = (first: number, end: number, module?: string) => void;

function parseModule(
  module: string,
  options: ModuleOption[],
  first: number,
  end: number,
  ruleProtocol: string | undefined,
  out: ParsedRuleArgs,
  unknown: UnknownSink,
): void {
  const name = module.toLowerCase();
  const leftover: ModuleOption[] = [];
  const push = (m: Match | undefined, o: ModuleOption): void => {
    if (m) out.matches.push(m);
    else leftover.push(o);
  };
  switch (name) {
    case 'tcp':
    case 'udp':
    case 'sctp':
    case 'dccp':
    case 'udplite':
      for (const o of options) {
        const v = o.values[0] ?? '';
        if (['--sport', '--source-port', '--dport', '--destination-port'].includes(o.name) && o.values.length === 1) {
          const r = parsePortRange(v);
          push(r && { kind: 'port', field: o.name === '--sport' || o.name === '--source-port' ? 'source' : 'destination', negated: o.negated, ranges: [r], protocol: name }, o);
        } else if (name === 'tcp' && o.name === '--tcp-flags' && o.values.length === 2) {
          push({ kind: 'tcp-flags', negated: o.negated, mask: v.toUpperCase().split(','), set: (o.values[1] ?? '').toUpperCase().split(',').filter((f) => f !== 'NONE') }, o);
        } else if (name === 'tcp' && o.name === '--syn' && o.values.length === 0) {
          push({ kind: 'tcp-flags', negated: o.negated, mask: ['FIN', 'SYN', 'RST', 'ACK'], set: ['SYN'] }, o);
        } else leftover.push(o);
      }
      break;
    case 'multiport':
      for (const o of options) {
        const field = ({ '--sports': 'source', '--source-ports': 'source', '--dports': 'destination', '--destination-ports': 'destination', '--ports': 'either' } as const)[
          o.name as '--sports'
        ];
        const ranges = field && o.values.length === 1 ? parseList(o.values[0] ?? '', parsePortRange) : undefined;
        push(ranges && field && { kind: 'port', field, negated: o.negated, ranges, ...(ruleProtocol ? { protocol: ruleProtocol } : {}) }, o);
      }
      break;
    case 'owner': {
      const owner: Extract<Match, { kind: 'owner' }> = { kind: 'owner', supplementaryGroups: false };
      for (const o of options) {
        if ((o.name === '--uid-owner' || o.name === '--gid-owner') && o.values.length === 1) {
          const cond = parseIdCondition(o.values[0] ?? '', o.negated);
          if (!cond) leftover.push(o);
          else if (o.name === '--uid-owner') owner.uid = cond;
          else owner.gid = cond;
        } else if (o.name === '--socket-exists' && o.values.length === 0) owner.socketExists = { negated: o.negated };
        else if (o.name === '--suppl-groups' && o.values.length === 0 && !o.negated) owner.supplementaryGroups = true;
        else leftover.push(o);
      }
      if (owner.uid || owner.gid || owner.socketExists) out.matches.push(owner);
      break;
    }
    case 'mark':
    case 'connmark':
      for (const o of options) {
        const vm = o.name === '--mark' && o.values.length === 1 ? parseValueMask(o.values[0] ?? '') : undefined;
        push(vm && { kind: name, negated: o.negated, ...vm }, o);
      }
      break;
    case 'comment':
      for (const o of options) push(o.name === '--comment' && o.values.length === 1 ? { kind: 'comment', comment: o.values[0] ?? '' } : undefined, o);
      break;
    case 'conntrack':
    case 'state': {
      const ct: Extract<Match, { kind: 'conntrack' }> = { kind: 'conntrack' };
      for (const o of options) {
        const states = (o.values[0] ?? '').toUpperCase().split(',');
        const isState = (name === 'state' && o.name === '--state') || (name === 'conntrack' && o.name === '--ctstate');
        if (isState && o.values.length === 1 && states.every((s) => CT_STATES.has(s as ConntrackState)) && !ct.state) {
          ct.state = { negated: o.negated, states: states as ConntrackState[] };
        } else leftover.push(o);
      }
      if (ct.state) out.matches.push(ct);
      break;
    }
    case 'addrtype': {
      const at: Extract<Match, { kind: 'addrtype' }> = { kind: 'addrtype' };
      for (const o of options) {
        const types = (o.values[0] ?? '').toUpperCase().split(',');
        if (o.name === '--src-type' && o.values.length === 1) at.source = { negated: o.negated, types };
        else if (o.name === '--dst-type' && o.values.length === 1) at.destination = { negated: o.negated, types };
        else if (o.name === '--limit-iface-in' && !o.negated) at.limitIface = 'in';
        else if (o.name === '--limit-iface-out' && !o.negated) at.limitIface = 'out';
        else leftover.push(o);
      }
      if (at.source || at.destination) out.matches.push(at);
      break;
    }
    case 'socket': {
      const known = ['--transparent', '--nowildcard', '--restore-skmark'];
      const ok = options.every((o) => known.includes(o.name) && !o.negated && o.values.length === 0);
      if (ok) out.matches.push({ kind: 'socket', options: options.map((o) => o.name.slice(2)) });
      else leftover.push(...options);
      break;
    }
    default:
      unknown(first, end, name);
      return;
  }
  // Options of a known module that meshcap does not model stay as one unknown match each.
  for (const o of leftover) unknown(o.first, o.end, name);
  if (options.length === 0 && !['tcp', 'udp', 'sctp', 'dccp', 'udplite', 'comment'].includes(name)) unknown(first, end, name);
}

function markChange(o: ModuleOption): MarkChange | undefined {
  const vm = parseValueMask(o.values[0] ?? '');
  if (!vm || o.values.length !== 1) return undefined;
  switch (o.name) {
    case '--set-xmark':
      return vm;
    case '--set-mark':
      return { value: vm.value, mask: (vm.value | vm.mask) >>> 0 };
    case '--and-mark':
      return { value: 0, mask: ~vm.value >>> 0 };
    case '--or-mark':
      return { value: vm.value, mask: vm.value };
    case '--xor-mark':
      return { value: vm.value, mask: 0 };
    default:
      return undefined;
  }
}

function parseTarget(name: string, options: ModuleOption[], text: string, chains: ReadonlySet<string>): Action {
  const other: Action = { kind: 'other', name, text };
  const get = (...names: string[]): ModuleOption | undefined => options.find((o) => names.includes(o.name));
  const onlyKnown = (...names: string[]): boolean => options.every((o) => names.includes(o.name) && !o.negated);
  switch (name) {
    case 'ACCEPT':
      return options.length ? other : { kind: 'accept' };
    case 'DROP':
      return options.length ? other : { kind: 'drop' };
    case 'RETURN':
      return options.length ? other : { kind: 'return' };
    case 'QUEUE':
    case 'NFQUEUE':
      return { kind: 'queue', text };
    case 'REJECT': {
      if (!onlyKnown('--reject-with')) return other;
      const w = get('--reject-with')?.values[0];
      return w === undefined ? { kind: 'reject' } : { kind: 'reject', with: w };
    }
    case 'REDIRECT': {
      if (!onlyKnown('--to-ports', '--random')) return other;
      const p = get('--to-ports')?.values[0];
      if (p === undefined) return { kind: 'redirect' };
      const ports = parsePortRange(p);
      return ports ? { kind: 'redirect', ports } : other;
    }
    case 'MASQUERADE': {
      if (!onlyKnown('--to-ports', '--random', '--random-fully')) return other;
      const p = get('--to-ports')?.values[0];
      const ports = p === undefined ? undefined : parsePortRange(p);
      if (p !== undefined && !ports) return other;
      return ports ? { kind: 'masquerade', ports } : { kind: 'masquerade' };
    }
    case 'TPROXY': {
      if (!onlyKnown('--on-port', '--on-ip', '--tproxy-mark')) return other;
      const port = parsePort(get('--on-port')?.values[0] ?? '');
      if (port === undefined) return other;
      const address = get('--on-ip')?.values[0];
      const markText = get('--tproxy-mark')?.values[0];
      const mark = markText === undefined ? undefined : parseValueMask(markText);
      if (markText !== undefined && !mark) return other;
      return { kind: 'tproxy', port, ...(address !== undefined ? { address } : {}), ...(mark ? { mark } : {}) };
    }
    case 'MARK': {
      if (options.length !== 1 || options[0]?.negated) return other;
      const change = markChange(options[0]!);
      return change ? { kind: 'mark', change } : other;
    }
    case 'CONNMARK':
      return parseConnmark(options) ?? other;
    case 'NOTRACK':
      return options.length ? other : { kind: 'ct', notrack: true, options: [] };
    case 'CT': {
      const ct: Extract<Action, { kind: 'ct' }> = { kind: 'ct', notrack: false, options: [] };
      for (const o of options) {
        if (o.name === '--notrack' && o.values.length === 0) ct.notrack = true;
        else if (o.name === '--zone' && o.values.length === 1 && /^\d+$/.test(o.values[0] ?? '')) ct.zone = Number(o.values[0]);
        else if (o.name === '--helper' && o.values.length === 1) ct.helper = o.values[0];
        else ct.options.push([o.name, ...o.values].join(' '));
      }
      return ct;
    }
    case 'LOG': {
      const prefix = get('--log-prefix')?.values[0];
      const level = get('--log-level')?.values[0];
      return { kind: 'log', ...(prefix !== undefined ? { prefix } : {}), ...(level !== undefined ? { level } : {}) };
    }
    case 'DNAT':
    case 'SNAT': {
      const opt = name === 'DNAT' ? '--to-destination' : '--to-source';
      const to = get(opt)?.values[0];
      if (to === undefined || !onlyKnown(opt, '--random', '--persistent', '--random-fully')) return other;
      return { kind: name === 'DNAT' ? 'dnat' : 'snat', to };
    }
    default:
      if (chains.has(name) && options.length === 0) return { kind: 'jump', chain: name };
      return other;
  }
}

function parseConnmark(options: ModuleOption[]): Action | undefined {
  let nfmask = FULL_MASK;
  let ctmask = FULL_MASK;
  let op: 'set' | 'save' | 'restore' | undefined;
  let change: MarkChange | undefined;
  for (const o of options) {
    if (o.negated) return undefined;
    if (o.name === '--save-mark' || o.name === '--restore-mark') {
      if (op || o.values.length) return undefined;
      op = o.name === '--save-mark' ? 'save' : 'restore';
    } else if (o.name === '--nfmask' || o.name === '--ctmask' || o.name === '--mask') {
      const m = parseU32(o.values[0] ?? '');
      if (m === undefined || o.values.length !== 1) return undefined;
      if (o.name !== '--ctmask') nfmask = m;
      if (o.name !== '--nfmask') ctmask = m;
    } else {
      const c = markChange(o);
      if (!c || op) return undefined;
      op = 'set';
      change = c;
    }
  }
  if (!op) return undefined;
  return change ? { kind: 'connmark', op, change, nfmask, ctmask } : { kind: 'connmark', op, nfmask, ctmask };
}
