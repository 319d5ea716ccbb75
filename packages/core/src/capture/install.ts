import { isMeshcapError, MeshcapError } from '../errors.ts';
import { buildRules } from './build.ts';
import type { ResolvedTransparentProxyConfig, TransparentProxyConfig } from './config.ts';
import { defaultTransparentProxyConfig } from './config.ts';
import {
  detectIptablesFlavour,
  iptablesRestore,
  iptablesTools,
  prepareIptablesInstall,
  removeIptables,
  type IptablesFlavour,
  type PreparedIptables,
  type RetryOptions,
} from './iptables-backend.ts';
import { installNftables, ourNftTables, removeNftables } from './nftables-backend.ts';
import { installRouting, removeRouting } from './routing.ts';
import { renderDryRun } from './render-dry-run.ts';
import { resolveTransparentProxyConfig, type HostFiles } from './resolve.ts';
import type { CaptureRuleSet, IpFamily } from './rules.ts';
import type { CaptureContext } from './system-command.ts';

const ALL_FAMILIES: IpFamily[] = ['ipv4', 'ipv6'];
const FLAVOURS: IptablesFlavour[] = ['nft', 'legacy'];

export interface InstallOptions extends CaptureContext {
  /** Only build and render; touch nothing (needs no privileges). */
  dryRun?: boolean;
  /** Where to look up a --kuma-dp-user name (default /etc/passwd). */
  files?: HostFiles;
}

export interface InstallResult {
  ruleSet: CaptureRuleSet;
  /** The `### IPv4 ###` / `### IPv6 ###` text: what was (or, in a dry run, would be) applied. */
  text: string;
  dryRun: boolean;
  /** The iptables flavour used (iptables backend, not in a dry run). */
  flavour?: IptablesFlavour;
}

function isResolved(config: TransparentProxyConfig | ResolvedTransparentProxyConfig): config is ResolvedTransparentProxyConfig {
  return typeof (config as ResolvedTransparentProxyConfig).kumaDpUid === 'number' && 'dnsServers' in config;
}

/** Removes our iptables rules for `families` in every flavour except `except` (a previous install with another flavour or backend). */
async function removeIptablesElsewhere(ctx: CaptureContext, retry: RetryOptions, families: IpFamily[], except?: IptablesFlavour): Promise<void> {
  for (const flavour of FLAVOURS.filter((f) => f !== except)) {
    for (const family of families) {
      const tools = await iptablesTools(ctx, family, flavour);
      if (tools) await removeIptables(ctx, tools, retry, false);
    }
  }
}

async function installWithIptables(ctx: CaptureContext, config: ResolvedTransparentProxyConfig, ruleSet: CaptureRuleSet): Promise<IptablesFlavour> {
  const families = ruleSet.families.map((f) => f.family);
  const flavour = await detectIptablesFlavour(ctx, config.iptablesMode, families);
  const prepared: PreparedIptables[] = [];
  for (const family of ruleSet.families) {
    const tools = await iptablesTools(ctx, family.family, flavour);
    if (!tools) throw new MeshcapError('MESHCAP_ERR_COMMAND_FAILED', `${family.family === 'ipv4' ? 'iptables' : 'ip6tables'}-${flavour}-restore is not installed`);
    prepared.push(await prepareIptablesInstall(ctx, tools, family));
  }
  // Validate everything before changing anything.
  for (const p of prepared) {
    ctx.log?.(`rules for ${p.tools.restore}:\n${p.text}`);
    await iptablesRestore(ctx, p.tools, p.text, config, 'test');
  }
  const nftRemoved = await removeNftables(ctx, false);
  if (nftRemoved) ctx.log?.(`replaced the nftables install:\n${nftRemoved}`);
  await removeIptablesElsewhere(ctx, config, families, flavour);
  await removeIptablesElsewhere(ctx, config, ALL_FAMILIES.filter((f) => !families.includes(f)));
  const applied: PreparedIptables[] = [];
  try {
    for (const p of prepared) {
      await iptablesRestore(ctx, p.tools, p.text, config, 'apply');
      applied.push(p);
    }
  } catch (err) {
    // Leave nothing half-installed: take out what went in before the failure, and say so if that fails too.
    const leftovers: string[] = [];
    for (const p of applied) {
      await removeIptables(ctx, p.tools, config, false).catch((e: unknown) => leftovers.push(`${p.tools.restore}: ${(e as Error).message}`));
    }
    if (!leftovers.length) throw err;
    const code = isMeshcapError(err) ? err.code : 'MESHCAP_ERR_COMMAND_FAILED';
    throw new MeshcapError(
      code,
      `${(err as Error).message}; undoing the part already applied failed too, so some meshcap rules may remain (meshcap uninstall transparent-proxy removes them): ${leftovers.join('; ')}`,
      isMeshcapError(err) ? err.issues : [],
      { cause: err },
    );
  }
  return flavour;
}

async function installWithNftables(ctx: CaptureContext, config: ResolvedTransparentProxyConfig, ruleSet: CaptureRuleSet): Promise<void> {
  await removeIptablesElsewhere(ctx, config, ALL_FAMILIES);
  // An earlier dualstack install leaves an ip6 table that an IPv4-only install must not keep.
  if (!ruleSet.families.some((f) => f.family === 'ipv6')) await removeNftables(ctx, false, ['ip6']);
  const script = await installNftables(ctx, ruleSet.families, config);
  ctx.log?.(`applied with nft -f:\n${script}`);
}

/**
 * Installs the capture rules for `config` (replacing any earlier meshcap install, atomically per
 * family), plus TPROXY policy routing. The config is resolved first (UID, nameservers) unless it
 * already is. With `dryRun` nothing is touched and no privilege is needed.
 */
export async function installTransparentProxy(
  config: TransparentProxyConfig | ResolvedTransparentProxyConfig = defaultTransparentProxyConfig(),
  options: InstallOptions = {},
): Promise<InstallResult> {
  const resolved = isResolved(config) ? config : resolveTransparentProxyConfig(config, options.files);
  const ruleSet = buildRules(resolved);
  const text = renderDryRun(ruleSet);
  if (options.dryRun) return { ruleSet, text, dryRun: true };
  const ctx: CaptureContext = { netns: options.netns, log: options.log, env: options.env };
  let flavour: IptablesFlavour | undefined;
  if (resolved.backend === 'nftables') await installWithNftables(ctx, resolved, ruleSet);
  else flavour = await installWithIptables(ctx, resolved, ruleSet);
  for (const family of ruleSet.families) await installRouting(ctx, family);
  for (const family of ALL_FAMILIES.filter((f) => !ruleSet.families.some((x) => x.family === f))) await removeRouting(ctx, family, false);
  return { ruleSet, text, dryRun: false, ...(flavour ? { flavour } : {}) };
}

export interface UninstallResult {
  /** What was (or would be) removed, in sections per backend and family; empty when nothing was installed. */
  text: string;
  dryRun: boolean;
  /** Chains left in place because rules meshcap did not install use them. */
  conflicts: string[];
  /** Headers of the sections of ours left in place because they are outside the scope (`### IPv6 (iptables-nft) ###`). */
  outOfScope: string[];
}

/**
 * What an uninstall may touch. Empty: everything of meshcap's. A user who repeats the flags they
 * installed with (`--backend nftables`, `--ip-family-mode ipv4`, `--iptables-mode legacy`) removes
 * what that install put in place; what another install left is reported, not removed.
 */
export interface UninstallScope {
  backend?: TransparentProxyConfig['backend'];
  families?: IpFamily[];
  flavour?: IptablesFlavour;
}

/** The scope the options of an install name: only those the user set (`explicit`), defaults restrict nothing. */
export function uninstallScopeOf(config: TransparentProxyConfig, explicit: ReadonlySet<string>): UninstallScope {
  return {
    ...(explicit.has('backend') ? { backend: config.backend } : {}),
    ...(explicit.has('ipFamilyMode') && config.ipFamilyMode === 'ipv4' ? { families: ['ipv4' as const] } : {}),
    ...(explicit.has('iptablesMode') && config.iptablesMode !== 'auto' ? { flavour: config.iptablesMode } : {}),
  };
}

const familyName = (family: IpFamily) => (family === 'ipv4' ? 'IPv4' : 'IPv6');

/**
 * Removes what meshcap installed — its rules and chains in both iptables flavours and both
 * families, its nftables tables, its ip rules and routes — and nothing else, within `scope`.
 * `config` supplies the retry settings. A family's TPROXY routing goes only when none of our rules
 * for that family stay behind.
 */
export async function uninstallTransparentProxy(
  config: TransparentProxyConfig = defaultTransparentProxyConfig(),
  options: InstallOptions & { scope?: UninstallScope } = {},
): Promise<UninstallResult> {
  const ctx: CaptureContext = { netns: options.netns, log: options.log, env: options.env };
  const dryRun = options.dryRun ?? false;
  const scope = options.scope ?? {};
  const familyInScope = (family: IpFamily) => !scope.families || scope.families.includes(family);
  const sections: string[] = [];
  const conflicts: string[] = [];
  const outOfScope: string[] = [];
  const keptFamilies = new Set<IpFamily>();
  for (const flavour of FLAVOURS) {
    for (const family of ALL_FAMILIES) {
      const tools = await iptablesTools(ctx, family, flavour);
      if (!tools) continue;
      const header = `### ${familyName(family)} (iptables-${flavour}) ###`;
      const inScope = (scope.backend ?? 'iptables') === 'iptables' && familyInScope(family) && (scope.flavour ?? flavour) === flavour;
      const removed = await removeIptables(ctx, tools, config, dryRun || !inScope);
      if (inScope) {
        conflicts.push(...removed.conflicts);
        if (removed.text) sections.push(`${header}\n${removed.text}`);
      } else if (removed.text) {
        outOfScope.push(header);
        keptFamilies.add(family);
      }
    }
  }
  const nftFamily = (family: IpFamily) => (family === 'ipv4' ? ('ip' as const) : ('ip6' as const));
  const nftInScope = (family: IpFamily) => (scope.backend ?? 'nftables') === 'nftables' && familyInScope(family);
  const nftTables = await ourNftTables(ctx);
  for (const family of ALL_FAMILIES.filter((f) => !nftInScope(f) && nftTables.some((t) => t.startsWith(`${nftFamily(f)} `)))) {
    outOfScope.push(`### nftables (${nftFamily(family)} meshcap) ###`);
    keptFamilies.add(family);
  }
  const nft = await removeNftables(ctx, dryRun, ALL_FAMILIES.filter(nftInScope).map(nftFamily));
  if (nft) sections.push(`### nftables ###\n${nft}`);
  for (const family of ALL_FAMILIES) {
    if (!familyInScope(family) || keptFamilies.has(family)) continue;
    const commands = await removeRouting(ctx, family, dryRun);
    if (commands.length) sections.push(`### ${familyName(family)} routing ###\n${commands.map((c) => `# ${c}\n`).join('')}`);
  }
  return { text: sections.join('\n'), dryRun, conflicts, outOfScope };
}
