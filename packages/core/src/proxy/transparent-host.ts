import { networkInterfaces } from 'node:os';
import { runSystemCommand } from '../capture/system-command.ts';
import type { ProxyConfig } from './config.ts';
import type { EngineLog } from './context.ts';
import { INBOUND_SOURCE_V6 } from './upstream.ts';

function hasLoopbackAddress(address: string): boolean {
  return (networkInterfaces().lo ?? []).some((i) => i.address === address);
}

/** IPv6 inbound traffic is relayed from ::6, which (unlike 127.0.0.6) is not local until added to lo. */
async function addLoopbackAddress(address: string): Promise<string | undefined> {
  try {
    const r = await runSystemCommand({}, 'ip', ['-6', 'addr', 'add', `${address}/128`, 'dev', 'lo', 'nodad'], undefined, 5_000);
    return r.code === 0 ? undefined : r.stderr.trim() || `exit ${r.code ?? 'killed'}`;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Host prerequisites of transparent mode that only we know we need; a failure is logged, not thrown. */
export async function prepareTransparentHost(config: ProxyConfig, log: EngineLog): Promise<void> {
  if (!config.transparent || !config.ipv6 || config.inboundMode === 'tproxy') return;
  if (hasLoopbackAddress(INBOUND_SOURCE_V6)) return;
  const problem = await addLoopbackAddress(INBOUND_SOURCE_V6);
  if (problem) log('warn', `IPv6 inbound traffic is relayed from ${INBOUND_SOURCE_V6}, which is not on lo and could not be added (${problem}); IPv6 inbound connections will fail`);
  else log('info', `added ${INBOUND_SOURCE_V6}/128 to lo (source of IPv6 inbound relays, excluded from capture)`);
}
