import { setTimeout as sleep } from 'node:timers/promises';
import { isMeshcapError, MeshcapError } from '../errors.ts';
import type { TransparentProxyConfig } from './config.ts';
import { COMMENT_PREFIX, MESHCAP_CHAINS } from './constants.ts';
import { renderIptablesRestore, type RemovalLines } from './render-iptables.ts';
import { TABLE_ORDER, type FamilyRules, type IpFamily, type NetfilterTable } from './rules.ts';
import { commandError, findBinary, runSystemCommand, type CaptureContext, type CommandResult } from './system-command.ts';

/** iptables comes in two flavours that keep separate rule sets: iptables-nft and iptables-legacy. */
export type IptablesFlavour = 'nft' | 'legacy';

export interface IptablesTools {
  family: IpFamily;
  flavour: IptablesFlavour;
  save: string;
  restore: string;
}

export type RetryOptions = Pick<TransparentProxyConfig, 'wait' | 'waitInterval' | 'maxRetries' | 'sleepBetweenRetries'>;

/** `iptables-nft-save`/`ip6tables-legacy-restore`… for a family and flavour, or undefined when not installed. */
export async function iptablesTools(ctx: CaptureContext, family: IpFamily, flavour: IptablesFlavour): Promise<IptablesTools | undefined> {
  const prefix = family === 'ipv4' ? 'iptables' : 'ip6tables';
  const [save, restore] = await Promise.all([findBinary(ctx, `${prefix}-${flavour}-save`), findBinary(ctx, `${prefix}-${flavour}-restore`)]);
  return save && restore ? { family, flavour, save, restore } : undefined;
}

export async function readIptablesSave(ctx: CaptureContext, tools: IptablesTools): Promise<string> {
  const result = await runSystemCommand(ctx, tools.save, []);
  if (result.code !== 0) throw commandError(result);
  return result.stdout;
}

function countRules(saveText: string): number {
  return saveText.split('\n').filter((l) => l.startsWith('-A ')).length;
}

/**
 * Picks the flavour like Kuma and Istio do: the one already holding rules (it is the one the host's
 * firewall and any earlier install use); iptables-nft when neither or both hold rules equally.
 */
export async function detectIptablesFlavour(ctx: CaptureContext, mode: TransparentProxyConfig['iptablesMode'], families: IpFamily[]): Promise<IptablesFlavour> {
  const flavours: IptablesFlavour[] = mode === 'auto' ? ['nft', 'legacy'] : [mode];
  const counts = new Map<IptablesFlavour, number>();
  for (const flavour of flavours) {
    const tools = await Promise.all(families.map((f) => iptablesTools(ctx, f, flavour)));
    if (tools.some((t) => t === undefined)) continue;
    let n = 0;
    try {
      for (const t of tools) n += countRules(await readIptablesSave(ctx, t!));
    } catch (err) {
      // A flavour this kernel cannot run (no legacy modules, say) is not a candidate; no privilege is fatal.
      if (isMeshcapError(err) && err.code === 'MESHCAP_ERR_PERMISSION') throw err;
      ctx.log?.(`iptables-${flavour} is not usable here: ${(err as Error).message}`);
      continue;
    }
    counts.set(flavour, n);
  }
  if (!counts.size) {
    const wanted = flavours.map((f) => `iptables-${f}-restore`).join(' or ');
    throw new MeshcapError('MESHCAP_ERR_COMMAND_FAILED', `no usable iptables found (${wanted} and -save, for ${families.join(' and ')})`);
  }
  const nft = counts.get('nft');
  const legacy = counts.get('legacy');
  const chosen: IptablesFlavour = nft === undefined ? 'legacy' : legacy !== undefined && legacy > nft ? 'legacy' : 'nft';
  ctx.log?.(`iptables flavour: ${chosen} (rules found: ${[...counts].map(([f, n]) => `${f} ${n}`).join(', ')})`);
  return chosen;
}

interface SavedRule {
  table: NetfilterTable;
  chain: string;
  /** Everything after `-A <chain> `. */
  spec: string;
  ours: boolean;
}

/** Just enough of iptables-save to find our rules and chains (the full parser lives in ./ruleset). */
function scanSave(text: string): { chains: Map<NetfilterTable, Set<string>>; rules: SavedRule[] } {
  const chains = new Map<NetfilterTable, Set<string>>();
  const rules: SavedRule[] = [];
  let table: NetfilterTable | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      const name = line.slice(1).trim();
      table = (TABLE_ORDER as readonly string[]).includes(name) ? (name as NetfilterTable) : undefined;
      if (table) chains.set(table, new Set());
    } else if (table && line.startsWith(':')) {
      chains.get(table)!.add(line.slice(1).split(' ')[0]!);
    } else if (table && line.startsWith('-A ')) {
      const rest = line.slice(3);
      const space = rest.indexOf(' ');
      const chain = space === -1 ? rest : rest.slice(0, space);
      const spec = space === -1 ? '' : rest.slice(space + 1);
      rules.push({ table, chain, spec, ours: spec.includes(`--comment "${COMMENT_PREFIX}`) || spec.includes(`--comment ${COMMENT_PREFIX}`) });
    }
  }
  return { chains, rules };
}

export interface Removal {
  lines: RemovalLines;
  /** Problems that stop a clean removal: foreign rules in or jumping to our chains. */
  conflicts: string[];
}

/**
 * iptables-restore lines that delete everything meshcap installed, per table: `-D` for each of our
 * rules, then `-X` for our chains that end up empty and unreferenced (chains listed in `keep` are
 * redeclared by the caller instead, as `table/chain`). Foreign rules are never touched.
 */
export function removalFromSave(saveText: string, keep: ReadonlySet<string> = new Set()): Removal {
  const { chains, rules } = scanSave(saveText);
  const lines: RemovalLines = {};
  const conflicts: string[] = [];
  for (const table of TABLE_ORDER) {
    const present = chains.get(table);
    if (!present) continue;
    const tableRules = rules.filter((r) => r.table === table);
    const out: string[] = [];
    for (const r of tableRules.filter((r) => r.ours)) out.push(`-D ${r.chain} ${r.spec}`);
    for (const chain of MESHCAP_CHAINS) {
      if (!present.has(chain)) continue;
      const foreignInside = tableRules.filter((r) => r.chain === chain && !r.ours);
      const jumpsIn = tableRules.filter((r) => !r.ours && new RegExp(`-[jg] ${chain}( |$)`).test(r.spec));
      if (foreignInside.length) conflicts.push(`${table} chain ${chain} holds rules meshcap did not install: -A ${chain} ${foreignInside[0]!.spec}`);
      if (jumpsIn.length) conflicts.push(`${table} chain ${chain} is used by a rule meshcap did not install: -A ${jumpsIn[0]!.chain} ${jumpsIn[0]!.spec}`);
      if (!foreignInside.length && !jumpsIn.length && !keep.has(`${table}/${chain}`)) out.push(`-X ${chain}`);
    }
    if (out.length) lines[table] = out;
  }
  return { lines, conflicts };
}

export function renderRemoval(lines: RemovalLines): string {
  const out: string[] = [];
  for (const table of TABLE_ORDER) {
    const l = lines[table];
    if (l?.length) out.push(`*${table}`, ...l, 'COMMIT');
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

const LOCK_BUSY = /xtables lock|another app is currently holding|resource temporarily unavailable/i;

function lockArgs(tools: IptablesTools, retry: RetryOptions): string[] {
  // Only iptables-legacy takes the xtables lock; iptables-nft serialises in the kernel.
  if (tools.flavour !== 'legacy') return [];
  return [...(retry.wait > 0 ? [`--wait=${retry.wait}`] : []), ...(retry.waitInterval > 0 ? [`--wait-interval=${retry.waitInterval}`] : [])];
}

/**
 * Runs iptables-restore --noflush with `text` on stdin, `--test` first when `test` is set. Retries
 * (max-retries, sleep-between-retries): a validation only when the xtables lock was busy, an apply
 * on any failure.
 */
export async function iptablesRestore(ctx: CaptureContext, tools: IptablesTools, text: string, retry: RetryOptions, mode: 'test' | 'apply'): Promise<CommandResult> {
  const args = ['--noflush', ...(mode === 'test' ? ['--test'] : []), ...lockArgs(tools, retry)];
  let last: CommandResult | undefined;
  for (let attempt = 0; attempt <= retry.maxRetries; attempt++) {
    if (attempt > 0) {
      ctx.log?.(`retry ${attempt}/${retry.maxRetries} in ${retry.sleepBetweenRetries}s: ${(last?.stderr.trim() || 'failed').split('\n')[0]}`);
      await sleep(retry.sleepBetweenRetries * 1000);
    }
    last = await runSystemCommand(ctx, tools.restore, args, text);
    if (last.code === 0) return last;
    if (mode === 'test' && !LOCK_BUSY.test(last.stderr)) break;
  }
  const err = commandError(last!);
  throw new MeshcapError(err.code, mode === 'test' ? `rules rejected by ${tools.restore} --test: ${err.message}` : err.message);
}

export interface PreparedIptables {
  tools: IptablesTools;
  text: string;
}

/** Reads the live rules and builds the one restore input that replaces any earlier install with `family`. */
export async function prepareIptablesInstall(ctx: CaptureContext, tools: IptablesTools, family: FamilyRules): Promise<PreparedIptables> {
  const save = await readIptablesSave(ctx, tools);
  const removal = removalFromSave(save, new Set(family.chains.map((c) => `${c.table}/${c.name}`)));
  if (removal.conflicts.length) {
    throw new MeshcapError(
      'MESHCAP_ERR_CONFLICT',
      `${tools.save}: another transparent proxy seems installed (remove it first): ${removal.conflicts.join('; ')}`,
    );
  }
  return { tools, text: renderIptablesRestore(family, removal.lines) };
}

/**
 * Removes every meshcap rule and chain in one flavour and family; returns what it removed and what
 * it left. A flavour whose rules cannot be read (not usable on this kernel) holds nothing of ours.
 */
export async function removeIptables(ctx: CaptureContext, tools: IptablesTools, retry: RetryOptions, dryRun: boolean): Promise<{ text: string; conflicts: string[] }> {
  let save: string;
  try {
    save = await readIptablesSave(ctx, tools);
  } catch (err) {
    if (isMeshcapError(err) && err.code === 'MESHCAP_ERR_PERMISSION') throw err;
    ctx.log?.(`skipping ${tools.save}: ${(err as Error).message}`);
    return { text: '', conflicts: [] };
  }
  const removal = removalFromSave(save);
  const text = renderRemoval(removal.lines);
  if (text && !dryRun) {
    await iptablesRestore(ctx, tools, text, retry, 'test');
    await iptablesRestore(ctx, tools, text, retry, 'apply');
  }
  return { text, conflicts: removal.conflicts };
}
