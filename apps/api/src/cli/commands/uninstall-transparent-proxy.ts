import { uninstallScopeOf, uninstallTransparentProxy } from '@meshcap/core';
import type { CliCommand } from '@meshcap/dataplane';
import { readTransparentProxyInvocation } from './transparent-proxy-flags.ts';

const help = [
  'Usage: meshcap uninstall transparent-proxy [flags]',
  '',
  'Removes what `meshcap install transparent-proxy` installed: the rules carrying the meshcap/',
  'comment and the KUMA_MESH_* chains, in both iptables flavours (nft, legacy) and both families,',
  'the nftables tables `ip meshcap` and `ip6 meshcap`, the TPROXY ip rules and routes (protocol 77)',
  'and the ::6 it added to lo. Rules and chains of anyone else are left as they are.',
  '',
  'Takes every flag of `meshcap install transparent-proxy` (and its env vars, --config-file and --config), so',
  'the install command line can be repeated. These narrow what is removed, when given:',
  '  --backend iptables|nftables   only that backend\'s rules',
  '  --ip-family-mode ipv4         only IPv4 (dualstack: both)',
  '  --iptables-mode nft|legacy    only that iptables flavour (auto: both)',
  'Rules of ours outside that scope stay and are reported. --max-retries, --wait and',
  '--wait-interval apply to the removal; the other options do not change what is removed.',
  '',
  'Flags:',
  '  --dry-run  print what would be removed and change nothing (reading the rules needs root)',
  '  --verbose  print every command run',
].join('\n');

export const uninstallTransparentProxyCommand: CliCommand = {
  path: ['uninstall', 'transparent-proxy'],
  summary: 'remove exactly the capture rules meshcap installed',
  help,
  async run(args, io) {
    const { config, explicit, dryRun, verbose } = readTransparentProxyInvocation(args, 'uninstall transparent-proxy');
    const log = verbose ? (line: string) => io.stderr(`# ${line}`) : undefined;
    const result = await uninstallTransparentProxy(config, { dryRun, scope: uninstallScopeOf(config, explicit), ...(log ? { log } : {}) });
    if (dryRun || verbose) io.stdout(result.text || '# nothing of meshcap is installed');
    for (const conflict of result.conflicts) io.stderr(`warning: left in place: ${conflict}`);
    for (const section of result.outOfScope) io.stderr(`warning: left in place, outside the flags given: ${section} (run without them to remove it)`);
    if (!dryRun) io.stdout(result.text ? 'transparent proxy uninstalled' : 'nothing to uninstall: no meshcap rules found');
    return 0;
  },
};
