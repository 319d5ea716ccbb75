import { MeshcapError } from '../../errors.ts';
import { commandError, runSystemCommand } from '../system-command.ts';
import { IPTABLES_BUILTIN_CHAINS, parseIptablesSave } from './iptables-save.ts';
import { parseNftHandles, parseNftJson } from './nft-json.ts';
import type { Ruleset } from './types.ts';

export interface ToolRunOptions {
  /** Run inside this named network namespace (`ip netns exec NAME …`); default: the current one. */
  netns?: string;
  timeoutMs?: number;
}

/**
 * Runs a read-only networking tool and returns its stdout, or undefined when the binary is not
 * installed. A refusal for lack of privilege is MESHCAP_ERR_PERMISSION; any other failure
 * MESHCAP_ERR_COMMAND_FAILED with the tool's own message.
 */
export async function runTool(file: string, args: readonly string[], options: ToolRunOptions = {}): Promise<string | undefined> {
  let result;
  try {
    result = await runSystemCommand({ netns: options.netns }, file, args, undefined, options.timeoutMs ?? 15_000);
  } catch (err) {
    if (((err as Error).cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
    throw err;
  }
  if (result.code === 0) return result.stdout;
  // `ip netns exec` with a missing tool reports the exec failure itself.
  if (options.netns && /exec of ".*" failed: No such file or directory/.test(result.stderr)) return undefined;
  throw commandError(result);
}

/** Concatenates rule sets (tables, sources and warnings in order). */
export function mergeRulesets(...parts: Ruleset[]): Ruleset {
  return {
    tables: parts.flatMap((p) => p.tables),
    sources: parts.flatMap((p) => p.sources),
    warnings: parts.flatMap((p) => p.warnings),
  };
}

export interface ReadLiveRulesetOptions extends ToolRunOptions {
  /** Which iptables families to read (default both). */
  families?: ReadonlyArray<'ip' | 'ip6'>;
  /** Also read nftables tables that are not iptables-nft's own (default true). */
  nftables?: boolean;
  commentPrefix?: string;
}

/**
 * Reads the rules of the current (or a named) network namespace: `iptables-save -c` and
 * `ip6tables-save -c` in both flavours (nf_tables and legacy hooks are both live in the kernel when
 * both hold rules), plus every native nftables table (`nft -j list ruleset`) except the ones
 * iptables-nft manages, which the save output already shows.
 */
export async function readLiveRuleset(options: ReadLiveRulesetOptions = {}): Promise<Ruleset> {
  const families = options.families ?? ['ip', 'ip6'];
  const parts: Ruleset[] = [];
  const iptablesNftTables = new Set<string>();
  for (const family of families) {
    const base = family === 'ip' ? 'iptables' : 'ip6tables';
    let sawFlavour = false;
    for (const flavour of ['nft', 'legacy'] as const) {
      const tool = `${base}-${flavour}-save`;
      let text: string | undefined;
      try {
        text = await runTool(tool, ['-c'], options);
      } catch (err) {
        // The legacy tables are listed through /proc/net/*_tables_names, which only root may read;
        // a dataplane running as the proxy user (CAP_NET_ADMIN, not root) still reads the nft ones.
        if (!(flavour === 'legacy' && sawFlavour && err instanceof MeshcapError && err.code === 'MESHCAP_ERR_PERMISSION')) throw err;
        parts.push({
          tables: [],
          sources: [{ kind: 'iptables-save', family, flavour, origin: tool, unreadable: `${tool} is not readable by this process (${err.message}); rules in the legacy ${base} tables, if any, are not shown` }],
          warnings: [],
        });
        continue;
      }
      if (text === undefined) continue;
      sawFlavour = true;
      const parsed = parseIptablesSave(text, { family, origin: tool, ...(options.commentPrefix !== undefined ? { commentPrefix: options.commentPrefix } : {}) });
      for (const t of parsed.tables) t.flavour = flavour;
      if (flavour === 'nft') for (const t of parsed.tables) iptablesNftTables.add(`${family}/${t.name}`);
      parts.push(parsed);
    }
    if (!sawFlavour) {
      // Only the plain name is installed (no alternatives split): read what it shows.
      const text = await runTool(`${base}-save`, ['-c'], options);
      if (text !== undefined) parts.push(parseIptablesSave(text, { family, origin: `${base}-save`, ...(options.commentPrefix !== undefined ? { commentPrefix: options.commentPrefix } : {}) }));
    }
  }
  if (options.nftables !== false) {
    const json = await runTool('nft', ['-j', 'list', 'ruleset'], options);
    if (json !== undefined) {
      const texts = parseNftHandles((await runTool('nft', ['-a', 'list', 'ruleset'], options)) ?? '');
      parts.push(
        parseNftJson(json, {
          origin: 'nft -j list ruleset',
          texts,
          ...(options.commentPrefix !== undefined ? { commentPrefix: options.commentPrefix } : {}),
          includeTable: (family, name) => !(family !== 'inet' && name in IPTABLES_BUILTIN_CHAINS && iptablesNftTables.has(`${family}/${name}`)),
        }),
      );
    }
  }
  return mergeRulesets(...parts);
}
