import { readFileSync } from 'node:fs';
import { MeshcapError } from '../errors.ts';
import type { ResolvedTransparentProxyConfig, TransparentProxyConfig } from './config.ts';
import { nameserversFromResolvConf } from './ip-address.ts';

export interface HostFiles {
  /** Default /etc/passwd. */
  passwdPath?: string;
}

/** The UID of a user given as a number or a name in a passwd-format text. */
export function uidFromPasswd(user: string, passwd: string): number | undefined {
  if (/^\d+$/.test(user)) return Number(user);
  for (const line of passwd.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name === user && uid !== undefined && /^\d+$/.test(uid)) return Number(uid);
  }
  return undefined;
}

function readText(path: string, what: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `${flag}: cannot read ${what} "${path}": ${(err as Error).message}`);
  }
}

/**
 * Looks up what the config names on this host: the dataplane user's UID (a name is looked up in
 * /etc/passwd) and, for --redirect-dns without --redirect-all-dns-traffic, the nameservers of the
 * resolv.conf. Files are read only when needed, so a numeric --kuma-dp-user without DNS reads nothing.
 */
export function resolveTransparentProxyConfig(config: TransparentProxyConfig, files: HostFiles = {}): ResolvedTransparentProxyConfig {
  let kumaDpUid: number | undefined;
  if (/^\d+$/.test(config.kumaDpUser)) {
    kumaDpUid = Number(config.kumaDpUser);
  } else {
    const passwdPath = files.passwdPath ?? '/etc/passwd';
    kumaDpUid = uidFromPasswd(config.kumaDpUser, readText(passwdPath, 'the user database', '--kuma-dp-user'));
    if (kumaDpUid === undefined) {
      throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `--kuma-dp-user: "${config.kumaDpUser}" is not a UID nor a user in ${passwdPath}`, [
        { path: 'kumaDpUser', message: 'unknown user' },
      ]);
    }
  }
  if (kumaDpUid > 0xfffffffe) {
    throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `--kuma-dp-user: "${config.kumaDpUser}" is not a valid UID`, [{ path: 'kumaDpUser', message: 'UID out of range' }]);
  }
  const needServers = config.redirectDns && !config.redirectAllDnsTraffic;
  const dnsServers = needServers
    ? nameserversFromResolvConf(readText(config.resolvConfPath, 'the resolver configuration', '--resolv-conf-path'))
    : { ipv4: [], ipv6: [] };
  return { ...config, kumaDpUid, dnsServers };
}
