import { accessSync, constants } from 'node:fs';
import { exitWithParent } from '@meshcap/native';
import { MeshcapError } from '../errors.ts';

/**
 * Loop avoidance. The default capture rules (Kuma's, and `meshcap install transparent-proxy`'s)
 * RETURN every connection opened by the proxy user, UID 5678 (`--kuma-dp-user`), so the proxy's
 * own upstream connections are not captured again. A `meshcap dp` started as root therefore runs
 * itself as that user, keeping only the capabilities a transparent proxy needs:
 * CAP_NET_ADMIN (IP_TRANSPARENT sockets, SO_MARK, adding ::6 to lo), CAP_NET_RAW, and
 * CAP_NET_BIND_SERVICE (explicit listeners below 1024). util-linux `setpriv` does the switch
 * with ambient capabilities, so they survive the exec into Node.
 */
export const PROXY_UID = 5678;
export const PROXY_GID = 5678;
const CAPABILITIES = '+net_admin,+net_raw,+net_bind_service';

/** Root in transparent mode must not proxy as root: the rules would capture its upstream connections. */
export function needsProxyUser(transparent: boolean, uid: number | undefined = process.getuid?.()): boolean {
  return transparent && uid === 0;
}

function findSetpriv(): string {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':').concat(['/usr/bin', '/bin'])) {
    const candidate = `${dir}/setpriv`;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new MeshcapError(
    'MESHCAP_ERR_PERMISSION',
    `cannot run as the proxy user ${PROXY_UID}: util-linux "setpriv" was not found (install util-linux, or start meshcap dp as UID ${PROXY_UID} with CAP_NET_ADMIN)`,
  );
}

/** The argv prefix that runs a command as the proxy user with the proxy's capabilities. */
export function proxyUserCommand(uid = PROXY_UID, gid = PROXY_GID): [string, ...string[]] {
  return [findSetpriv(), '--reuid', String(uid), '--regid', String(gid), '--clear-groups', '--inh-caps', CAPABILITIES, '--ambient-caps', CAPABILITIES];
}

/** Set in the proxy-user child's environment: the pid of the root process it must not outlive. */
const PARENT_ENV = 'MESHCAP_PROXY_USER_PARENT';

/** Environment for the proxy-user child (see {@link exitWithProxyUserParent}). */
export function proxyUserChildEnv(): Record<string, string> {
  return { [PARENT_ENV]: String(process.pid) };
}

/**
 * In the proxy-user child: the kernel kills it (SIGKILL) when the root process that started it
 * exits, so a dataplane never runs on orphaned when its parent was killed. A no-op elsewhere.
 */
export function exitWithProxyUserParent(): void {
  const parent = Number(process.env[PARENT_ENV]);
  if (Number.isInteger(parent) && parent > 0) exitWithParent('SIGKILL', parent);
}
