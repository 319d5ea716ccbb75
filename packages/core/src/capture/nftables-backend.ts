import { setTimeout as sleep } from 'node:timers/promises';
import { MeshcapError } from '../errors.ts';
import { NFT_TABLE_NAME } from './constants.ts';
import type { RetryOptions } from './iptables-backend.ts';
import { renderNftScript } from './render-nftables.ts';
import type { FamilyRules } from './rules.ts';
import { commandError, findBinary, runChecked, runSystemCommand, type CaptureContext } from './system-command.ts';

async function nftBinary(ctx: CaptureContext): Promise<string> {
  const nft = await findBinary(ctx, 'nft');
  if (!nft) throw new MeshcapError('MESHCAP_ERR_COMMAND_FAILED', 'the nftables backend needs the nft command (not installed)');
  return nft;
}

/** Our tables present now (`ip meshcap`, `ip6 meshcap`), from `nft list tables`. */
export async function ourNftTables(ctx: CaptureContext): Promise<string[]> {
  const nft = await findBinary(ctx, 'nft');
  if (!nft) return [];
  const listed = await runChecked(ctx, nft, ['list', 'tables']);
  return listed.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((w) => w[0] === 'table' && (w[1] === 'ip' || w[1] === 'ip6') && w[2] === NFT_TABLE_NAME)
    .map((w) => `${w[1]} ${w[2]}`);
}

/** Checks the script with `nft -c`, then applies it in one transaction (retried per max-retries). */
export async function installNftables(ctx: CaptureContext, families: FamilyRules[], retry: RetryOptions): Promise<string> {
  const nft = await nftBinary(ctx);
  const script = renderNftScript(families);
  const check = await runSystemCommand(ctx, nft, ['-c', '-f', '-'], script);
  if (check.code !== 0) throw new MeshcapError('MESHCAP_ERR_COMMAND_FAILED', `rules rejected by nft -c: ${commandError(check).message}`);
  for (let attempt = 0; ; attempt++) {
    const result = await runSystemCommand(ctx, nft, ['-f', '-'], script);
    if (result.code === 0) return script;
    if (attempt >= retry.maxRetries) throw commandError(result);
    ctx.log?.(`retry ${attempt + 1}/${retry.maxRetries} in ${retry.sleepBetweenRetries}s: ${result.stderr.trim().split('\n')[0]}`);
    await sleep(retry.sleepBetweenRetries * 1000);
  }
}

/** Deletes our tables (of the given nft families; one transaction); returns the script it ran (or would run). */
export async function removeNftables(ctx: CaptureContext, dryRun: boolean, families: Array<'ip' | 'ip6'> = ['ip', 'ip6']): Promise<string> {
  const tables = (await ourNftTables(ctx)).filter((t) => families.some((f) => t.startsWith(`${f} `)));
  if (!tables.length) return '';
  const script = tables.map((t) => `delete table ${t}\n`).join('');
  if (!dryRun) await runChecked(ctx, await nftBinary(ctx), ['-f', '-'], script);
  return script;
}
