import {
  defaultTransparentProxyConfig,
  envVarName,
  installTransparentProxy,
  resolveTransparentProxyConfig,
  transparentProxyOptions,
  type TransparentProxyConfig,
} from '@meshcap/core';
import { type CliCommand, asUsageError } from '@meshcap/dataplane';
import { readTransparentProxyInvocation } from './transparent-proxy-flags.ts';

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
  rows.push(['--config <path>', "kumactl's transparent-proxy config file (redirect.inbound.port: 15006 …); repeat to merge in order, - for stdin"]);
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
    `${envVarName(transparentProxyOptions[0])}, from --config-file and from --config files; flags win, then env, then --config, then --config-file):`,
    ...rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`),
    '',
    'Examples:',
    '  meshcap install transparent-proxy --dry-run',
    '  meshcap install transparent-proxy --kuma-dp-user kuma-dp --exclude-inbound-ports 22 --redirect-dns',
    '  meshcap install transparent-proxy --inbound-mode tproxy --backend nftables',
    '  meshcap install transparent-proxy --config kuma-tp.yaml --vnet docker0:172.17.0.0/16',
  ].join('\n');
}

export const installTransparentProxyCommand: CliCommand = {
  path: ['install', 'transparent-proxy'],
  summary: 'install the capture rules (iptables or nftables; REDIRECT or TPROXY inbound)',
  get help() {
    return helpText();
  },
  async run(args, io) {
    const { config, dryRun, verbose } = readTransparentProxyInvocation(args, 'install transparent-proxy');
    let resolved;
    try {
      resolved = resolveTransparentProxyConfig(config);
    } catch (err) {
      throw asUsageError(err);
    }
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
