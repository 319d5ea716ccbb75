import { ROUTE_PROTOCOL } from './constants.ts';
import { parseCidr } from './ip-address.ts';
import type { FamilyRules, IpFamily } from './rules.ts';
import { runChecked, runSystemCommand, type CaptureContext } from './system-command.ts';

const flag = (family: IpFamily) => (family === 'ipv4' ? '-4' : '-6');

interface IpRuleJson {
  priority?: number;
  fwmark?: string;
  table?: string;
  protocol?: string;
}

/** Our `ip rule`s (protocol 77) and the tables holding our routes (proto 77), as commands that delete them. */
export async function policyRoutingRemoval(ctx: CaptureContext, family: IpFamily): Promise<string[][]> {
  const v = flag(family);
  const rules = JSON.parse((await runChecked(ctx, 'ip', ['-N', '-j', v, 'rule', 'list'])).stdout || '[]') as IpRuleJson[];
  const commands: string[][] = [];
  for (const r of rules.filter((r) => r.protocol === String(ROUTE_PROTOCOL))) {
    commands.push([v, 'rule', 'del', 'priority', String(r.priority), ...(r.fwmark ? ['fwmark', r.fwmark] : []), 'lookup', String(r.table), 'protocol', String(ROUTE_PROTOCOL)]);
  }
  const routes = JSON.parse((await runChecked(ctx, 'ip', ['-N', '-j', v, 'route', 'show', 'table', 'all', 'proto', String(ROUTE_PROTOCOL)])).stdout || '[]') as Array<{ table?: string }>;
  for (const table of new Set(routes.map((r) => r.table ?? 'main'))) {
    commands.push([v, 'route', 'flush', 'table', table, 'proto', String(ROUTE_PROTOCOL)]);
  }
  return commands;
}

export async function removePolicyRouting(ctx: CaptureContext, family: IpFamily, dryRun: boolean): Promise<string[]> {
  const commands = await policyRoutingRemoval(ctx, family);
  if (!dryRun) for (const c of commands) await runChecked(ctx, 'ip', c);
  return commands.map((c) => `ip ${c.join(' ')}`);
}

/** TPROXY routing for one family, replacing any earlier one of ours; and `::6` on lo when missing. */
export async function installPolicyRouting(ctx: CaptureContext, family: FamilyRules): Promise<void> {
  const v = flag(family.family);
  for (const address of family.loopbackAddresses) {
    const shown = await runChecked(ctx, 'ip', ['-j', v, 'addr', 'show', 'dev', 'lo']);
    const want = parseCidr(address);
    const present = (JSON.parse(shown.stdout || '[]') as Array<{ addr_info?: Array<{ local?: string; prefixlen?: number }> }>).some((link) =>
      (link.addr_info ?? []).some((a) => a.local !== undefined && parseCidr(`${a.local}/${a.prefixlen}`)?.text === want?.text),
    );
    if (present) continue;
    const added = await runSystemCommand(ctx, 'ip', [v, 'addr', 'add', address, 'dev', 'lo', 'nodad']);
    // Like Kuma: without the address IPv6 inbound passthrough cannot bind ::6, but the rules still apply.
    if (added.code !== 0) ctx.log?.(`warning: could not add ${address} to lo: ${added.stderr.trim()}`);
  }
  for (const c of await policyRoutingRemoval(ctx, family.family)) await runChecked(ctx, 'ip', c);
  const r = family.routing;
  if (!r) return;
  await runChecked(ctx, 'ip', [v, 'rule', 'add', 'fwmark', `0x${r.mark.toString(16)}`, 'lookup', String(r.table), 'protocol', String(r.protocol)]);
  await runChecked(ctx, 'ip', [v, 'route', 'add', 'local', r.destination, 'dev', 'lo', 'table', String(r.table), 'proto', String(r.protocol)]);
}
