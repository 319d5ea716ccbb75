import { FAMILY_ADDRESSES, ROUTE_PROTOCOL } from './constants.ts';
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

interface AddressJson {
  local?: string;
  prefixlen?: number;
  noprefixroute?: boolean;
}

async function loopbackAddresses(ctx: CaptureContext, family: IpFamily): Promise<AddressJson[]> {
  const shown = await runChecked(ctx, 'ip', ['-j', flag(family), 'addr', 'show', 'dev', 'lo']);
  return (JSON.parse(shown.stdout || '[]') as Array<{ addr_info?: AddressJson[] }>).flatMap((link) => link.addr_info ?? []);
}

const sameAddress = (a: AddressJson, cidr: string) => a.local !== undefined && parseCidr(`${a.local}/${a.prefixlen}`)?.text === parseCidr(cidr)?.text;

/**
 * Commands (arguments of `ip`) deleting what the install added for a family: our ip rules
 * (protocol 77), the routes of ours (proto 77), and `::6` on lo when we added it — we add it with
 * `noprefixroute` (a /128 on lo needs no prefix route), which tells it from one added by someone else.
 */
export async function routingRemoval(ctx: CaptureContext, family: IpFamily): Promise<string[][]> {
  const v = flag(family);
  const proto = String(ROUTE_PROTOCOL);
  const rules = JSON.parse((await runChecked(ctx, 'ip', ['-N', '-j', v, 'rule', 'list'])).stdout || '[]') as IpRuleJson[];
  const commands: string[][] = [];
  for (const r of rules.filter((r) => r.protocol === proto)) {
    commands.push([v, 'rule', 'del', 'priority', String(r.priority), ...(r.fwmark ? ['fwmark', r.fwmark] : []), 'lookup', String(r.table), 'protocol', proto]);
  }
  const routes = JSON.parse((await runChecked(ctx, 'ip', ['-N', '-j', v, 'route', 'show', 'table', 'all', 'proto', proto])).stdout || '[]') as Array<{ table?: string }>;
  for (const table of new Set(routes.map((r) => r.table ?? 'main'))) commands.push([v, 'route', 'flush', 'table', table, 'proto', proto]);
  if (family === 'ipv6') {
    const ours = FAMILY_ADDRESSES.ipv6.inboundPassthroughSource;
    if ((await loopbackAddresses(ctx, family)).some((a) => sameAddress(a, ours) && a.noprefixroute)) commands.push([v, 'addr', 'del', ours, 'dev', 'lo']);
  }
  return commands;
}

export async function removeRouting(ctx: CaptureContext, family: IpFamily, dryRun: boolean): Promise<string[]> {
  const commands = await routingRemoval(ctx, family);
  if (!dryRun) for (const c of commands) await runChecked(ctx, 'ip', c);
  return commands.map((c) => `ip ${c.join(' ')}`);
}

/** The family's TPROXY ip rule and local route, replacing any earlier ones of ours; and `::6` on lo when missing. */
export async function installRouting(ctx: CaptureContext, family: FamilyRules): Promise<void> {
  const v = flag(family.family);
  for (const c of (await routingRemoval(ctx, family.family)).filter((c) => c[1] !== 'addr')) await runChecked(ctx, 'ip', c);
  const present = await loopbackAddresses(ctx, family.family);
  for (const address of family.loopbackAddresses) {
    if (present.some((a) => sameAddress(a, address))) continue;
    const added = await runSystemCommand(ctx, 'ip', [v, 'addr', 'add', address, 'dev', 'lo', 'noprefixroute', 'nodad']);
    // Like Kuma: without the address IPv6 inbound passthrough cannot bind ::6, but the rules still apply.
    if (added.code !== 0) ctx.log?.(`warning: could not add ${address} to lo: ${added.stderr.trim()}`);
  }
  const r = family.routing;
  if (!r) return;
  await runChecked(ctx, 'ip', [v, 'rule', 'add', 'fwmark', `0x${r.mark.toString(16)}`, 'lookup', String(r.table), 'protocol', String(r.protocol)]);
  await runChecked(ctx, 'ip', [v, 'route', 'add', 'local', r.destination, 'dev', 'lo', 'table', String(r.table), 'proto', String(r.protocol)]);
}
