import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { DnsAddress } from './config.ts';

/**
 * The nameservers of a resolv.conf (`nameserver <ip>` lines, in order; a scope suffix `%eth0` is
 * kept). The capture rules leave the file alone and send only the application's queries to the
 * DNS proxy, so what the file says is where the namespace resolved before capture.
 */
export function parseResolvConf(text: string): DnsAddress[] {
  const out: DnsAddress[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const m = /^nameserver\s+(\S+)$/.exec(line);
    if (!m) continue;
    const address = m[1]!;
    if (isIP(address.split('%')[0]!) === 0) continue;
    out.push({ address, port: 53 });
  }
  return out;
}

/** The nameservers of `/etc/resolv.conf` (none when it cannot be read). */
export function systemResolvers(path = '/etc/resolv.conf'): DnsAddress[] {
  try {
    return parseResolvConf(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
}
