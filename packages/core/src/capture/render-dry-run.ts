import { policyRoutingCommands, renderIptablesRestore } from './render-iptables.ts';
import { renderNftTable } from './render-nftables.ts';
import type { CaptureRuleSet } from './rules.ts';

/**
 * What an install would apply, one `### IPv4 ###` / `### IPv6 ###` block per family: iptables-restore
 * input (iptables backend) or the nft table (nftables backend); the `ip` commands of TPROXY mode
 * follow as `#` comment lines, which both formats accept.
 */
export function renderDryRun(ruleSet: CaptureRuleSet): string {
  return ruleSet.families
    .map((family) => {
      const body = ruleSet.backend === 'nftables' ? renderNftTable(family) : renderIptablesRestore(family);
      const commands = policyRoutingCommands(family).map((c) => `# ${c}\n`);
      return `### ${family.family === 'ipv4' ? 'IPv4' : 'IPv6'} ###\n${body}${commands.join('')}`;
    })
    .join('\n');
}
