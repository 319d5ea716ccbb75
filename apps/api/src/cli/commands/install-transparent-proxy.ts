import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  defaultTransparentProxyConfig,
  envVarName,
  installTransparentProxy,
  isMeshcapError,
  loadTransparentProxyConfig,
  resolveTransparentProxyConfig,
  transparentProxyOptions,
  type TransparentProxyConfig,
} from '@meshcap/core';
import { CliUsageError, type CliCommand } from '../command.ts';

type ParseOptions = NonNullable<ParseArgsConfig['options']>;

const BOOLEAN_WORDS: Record<string, boolean> = { true: true, '1': true, yes: true, false: false, '0': false, no: false };

/**
 * Parses flags with node:util parseArgs. Boolean flags also take Kuma's `--flag=false` spelling
 * (and `--no-flag`); every mistake becomes a CliUsageError naming the flag.
 */
export function parseFlags(args: string[], options: ParseOptions, command: string): Record<string, string | boolean | string[] | undefined> {
  const booleans = new Set(Object.entries(options).filter(([, o]) => o.type === 'boolean').map(([name]) => name));
  const normalized = args.map((arg) => {
    const m = /^--([a-z0-9-]+)=(.*)$/.exec(arg);
    if (!m || !booleans.has(m[1]!)) return arg;
    const value = BOOLEAN_WORDS[m[2]!.toLowerCase()];
    if (value === undefined) throw new CliUsageError(`--${m[1]}: "${m[2]}" is not true or false`);
    return value ? `--${m[1]}` : `--no-${m[1]}`;
  });
  try {
    const { values, positionals } = parseArgs({ args: normalized, options, strict: true, allowPositionals: true, allowNegative: true });
    if (positionals.length) throw new CliUsageError(`unexpected argument "${positionals[0]}" (see meshcap ${command} --help)`);
    return values as Record<string, string | boolean | string[] | undefined>;
  } catch (err) {
    if (err instanceof CliUsageError) throw err;
    const e = err as { code?: string; message: string };
    const flag = /'(-[^' ]+)/.exec(e.message)?.[1] ?? '';
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new CliUsageError(`unknown flag ${flag} (see meshcap ${command} --help)`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new CliUsageError(/argument missing/.test(e.message) ? `${flag}: needs a value` : `${flag}: ${e.message}`);
    }
    throw new CliUsageError(e.message);
  }
}

/** A MeshcapError about the user's input becomes a usage error (one line, exit 2). */
export function asUsageError(err: unknown): unknown {
  if (isMeshcapError(err) && (err.code === 'MESHCAP_ERR_INVALID_ARGUMENT' || err.code === 'MESHCAP_ERR_YAML_SYNTAX')) return new CliUsageError(err.message);
  return err;
}

const installOptions: ParseOptions = {
  ...Object.fromEntries(
    transparentProxyOptions.map((o) => [
      o.flag,
      o.kind === 'boolean' ? { type: 'boolean' as const } : o.kind === 'list' || o.kind === 'entries' ? { type: 'string' as const, multiple: true } : { type: 'string' as const },
    ]),
  ),
  'config-file': { type: 'string' },
  'dry-run': { type: 'boolean' },
  verbose: { type: 'boolean' },
};

function defaultText(value: TransparentProxyConfig[keyof TransparentProxyConfig]): string {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return '';
  return ` (default ${Array.isArray(value) ? value.join(',') : String(value)})`;
}

function helpText(): string {
  const defaults = defaultTransparentProxyConfig();
  const rows: Array<readonly [string, string]> = transparentProxyOptions.map((o) => {
    const arg = o.kind === 'boolean' ? '' : o.kind === 'list' || o.kind === 'entries' ? ' <list>' : ' <value>';
    return [`--${o.flag}${arg}`, `${o.help}${defaultText(defaults[o.key])}`] as const;
  });
  rows.push(['--config-file <path>', 'YAML or JSON file with these options as fields (redirectInboundPort: 15006)']);
  rows.push(['--dry-run', 'print the rules (### IPv4 ### / ### IPv6 ### blocks) and change nothing; needs no root']);
  rows.push(['--verbose', 'print every command run and the rules applied']);
  const width = Math.max(...rows.map(([f]) => f.length));
  return [
    'Usage: meshcap install transparent-proxy [flags]',
    '',
    'Installs the kernel rules that send a workload\'s TCP traffic to the dataplane: inbound to',
    '--redirect-inbound-port, outbound to --redirect-outbound-port, the dataplane\'s own traffic',
    '(--kuma-dp-user, --exclude-outbound-mark) excepted. Rule names and flags follow',
    '`kumactl install transparent-proxy`. Installing again replaces the earlier install;',
    '`meshcap uninstall transparent-proxy` removes exactly these rules.',
    '',
    'Flags (also read from MESHCAP_TRANSPARENT_PROXY_<FLAG> env vars, e.g.',
    `${envVarName(transparentProxyOptions[0])}, and from --config-file; flags win, then env):`,
    ...rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`),
    '',
    'Examples:',
    '  meshcap install transparent-proxy --dry-run',
    '  meshcap install transparent-proxy --kuma-dp-user kuma-dp --exclude-inbound-ports 22 --redirect-dns',
    '  meshcap install transparent-proxy --inbound-mode tproxy --backend nftables',
  ].join('\n');
}

export const installTransparentProxyCommand: CliCommand = {
  path: ['install', 'transparent-proxy'],
  summary: 'install the capture rules (iptables or nftables; REDIRECT or TPROXY inbound)',
  get help() {
    return helpText();
  },
  async run(args, io) {
    const flags = parseFlags(args, installOptions, 'install transparent-proxy');
    let resolved;
    try {
      const config = loadTransparentProxyConfig({ flags, env: process.env, configFile: flags['config-file'] as string | undefined });
      resolved = resolveTransparentProxyConfig(config);
    } catch (err) {
      throw asUsageError(err);
    }
    const verbose = flags.verbose === true;
    const dryRun = flags['dry-run'] === true;
    const log = verbose ? (line: string) => io.stderr(`# ${line}`) : undefined;
    const result = await installTransparentProxy(resolved, { dryRun, ...(log ? { log } : {}) });
    if (dryRun || verbose) io.stdout(result.text);
    if (!dryRun) {
      const families = result.ruleSet.families.map((f) => (f.family === 'ipv4' ? 'IPv4' : 'IPv6')).join(' and ');
      const backend = resolved.backend === 'nftables' ? 'nftables' : `iptables-${result.flavour}`;
      io.stdout(
        `transparent proxy installed (${backend}, ${families}, inbound ${resolved.inboundMode}): inbound -> ${resolved.redirectInboundPort}, outbound -> ${resolved.redirectOutboundPort}` +
          `${resolved.redirectDns || resolved.redirectAllDnsTraffic ? `, DNS -> ${resolved.redirectDnsPort}` : ''}; traffic of UID ${resolved.kumaDpUid}` +
          `${resolved.excludeOutboundMark !== undefined ? ` and mark 0x${resolved.excludeOutboundMark.toString(16)}` : ''} is not captured`,
      );
    }
    return 0;
  },
};
