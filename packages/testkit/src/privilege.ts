import { execFileSync } from 'node:child_process';

/** Whether this process can make network namespaces, and if not, why. */
export interface NetnsSupport {
  ok: boolean;
  reason: string;
}

let cached: NetnsSupport | undefined;

function hasBinary(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name} || test -x /usr/sbin/${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Probes once: Linux, root, the `ip` and `iptables` binaries, and a namespace we can create. */
export function netnsSupport(): NetnsSupport {
  if (cached) return cached;
  cached = probe();
  return cached;
}

function probe(): NetnsSupport {
  if (process.platform !== 'linux') return { ok: false, reason: `needs Linux, this is ${process.platform}` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'needs root to create network namespaces and install iptables rules' };
  for (const bin of ['ip', 'iptables', 'ip6tables']) {
    if (!hasBinary(bin)) return { ok: false, reason: `needs the '${bin}' binary (run scripts/setup.sh)` };
  }
  const probeName = `mct-probe-${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', probeName], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'del', probeName], { stdio: 'pipe' });
  } catch (err) {
    return { ok: false, reason: `cannot create a network namespace: ${(err as Error).message.split('\n')[0]}` };
  }
  return { ok: true, reason: '' };
}

/** True when running under CI, where real-kernel tests must run rather than skip. */
export function inCI(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
}
