import { uninstallTransparentProxy } from '@meshcap/core';
import type { CliCommand } from '../command.ts';
import { parseFlags } from './install-transparent-proxy.ts';

const help = [
  'Usage: meshcap uninstall transparent-proxy [flags]',
  '',
  'Removes everything `meshcap install transparent-proxy` installed, whatever the options it was',
  'installed with: the rules carrying the meshcap/ comment and the KUMA_MESH_* chains, in both',
  'iptables flavours (nft, legacy) and both families, the nftables tables `ip meshcap` and',
  '`ip6 meshcap`, the TPROXY ip rules and routes (protocol 77) and the ::6 it added to lo.',
  'Rules and chains of anyone else are left as they are.',
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
    const flags = parseFlags(args, { 'dry-run': { type: 'boolean' }, verbose: { type: 'boolean' } }, 'uninstall transparent-proxy');
    const dryRun = flags['dry-run'] === true;
    const log = flags.verbose === true ? (line: string) => io.stderr(`# ${line}`) : undefined;
    const result = await uninstallTransparentProxy(undefined, { dryRun, ...(log ? { log } : {}) });
    if (dryRun || flags.verbose === true) io.stdout(result.text || '# nothing of meshcap is installed');
    for (const conflict of result.conflicts) io.stderr(`warning: left in place: ${conflict}`);
    if (!dryRun) io.stdout(result.text ? 'transparent proxy uninstalled' : 'nothing to uninstall: no meshcap rules found');
    return 0;
  },
};
