import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { runCommand, spawnProcess, type HostProcess, type RunOptions, type RunResult } from './exec.ts';

/** Every namespace the kit makes starts with this, then the owning pid: `mct-<pid>-<seq>-<host>`. */
export const NETNS_PREFIX = 'mct-';

const liveLabs = new Set<Lab>();
let labSeq = 0;
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a test file dies without its afterAll: 'exit' handlers must be synchronous.
  process.on('exit', () => {
    for (const lab of liveLabs) lab.destroySync();
  });
}

/** Kills every process left in a namespace, then deletes it. Synchronous, never throws. */
export function deleteNamespaceSync(name: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split(/\s+/)
      .filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch {
    // namespace may be gone already
  }
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  } catch {
    // already deleted
  }
  // Its /etc files for `ip netns exec` (Host.addHosts), if it had any.
  rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
}

export function listNamespaces(): string[] {
  try {
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter(Boolean);
  } catch {
    return [];
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Deletes kit namespaces whose owning process is gone (left by a killed run). Returns their names. */
export function sweepStaleNamespaces(): string[] {
  const stale = listNamespaces().filter((name) => {
    if (!name.startsWith(NETNS_PREFIX)) return false;
    const pid = Number(name.slice(NETNS_PREFIX.length).split('-')[0]);
    return !Number.isInteger(pid) || !pidAlive(pid);
  });
  stale.forEach(deleteNamespaceSync);
  return stale;
}

export interface LinkOptions {
  /** Addresses with prefix length for the `a` side, e.g. `198.18.0.1/24`, `2001:2::1/64`. */
  a?: string[];
  b?: string[];
}

export interface Link {
  aIf: string;
  bIf: string;
}

/** A test host: one network namespace with loopback up. */
export class Host {
  private ifSeq = 0;

  constructor(
    readonly lab: Lab,
    readonly label: string,
    /** The namespace's name, for `ip netns exec`. */
    readonly netns: string,
  ) {}

  nextInterfaceName(): string {
    return `eth${this.ifSeq++}`;
  }

  /**
   * Names this host resolves (`/etc/hosts` lines such as `198.18.60.10 cp.mesh.test`; a name may
   * have several addresses): written to /etc/netns/<netns>/hosts, which `ip netns exec` mounts
   * over /etc/hosts for every command run here. Removed with the namespace.
   */
  addHosts(lines: readonly string[]): void {
    const dir = `/etc/netns/${this.netns}`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/hosts`, `${readFileSync('/etc/hosts', 'utf8').trimEnd()}\n${lines.join('\n')}\n`, { mode: 0o644 });
  }

  /** Runs a command inside this host's namespace. */
  run(file: string, args: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return runCommand('ip', ['netns', 'exec', this.netns, file, ...args], opts);
  }

  /** Runs a shell script inside this host's namespace. */
  sh(script: string, opts?: RunOptions): Promise<RunResult> {
    return this.run('sh', ['-ec', script], opts);
  }

  /** Starts a long-running command in this namespace; the lab stops it on destroy. */
  spawn(file: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): HostProcess {
    const proc = spawnProcess(
      'ip',
      ['netns', 'exec', this.netns, file, ...args],
      { env: opts.env ?? process.env, cwd: opts.cwd },
      `${file} in ${this.label}`,
    );
    this.lab.track(proc);
    return proc;
  }

  /** Starts a Node script in this namespace (`.ts` files run through tsx). */
  spawnNode(script: string, args: readonly string[] = [], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): HostProcess {
    const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
    return this.spawn(process.execPath, [...loader, script, ...args], opts);
  }
}

/**
 * A set of test hosts that are torn down together. Create one per test file (or test), and call
 * `destroy()` in `afterAll`/`afterEach`; a process exit and the global setup's sweep catch the rest.
 */
export class Lab {
  readonly hosts: Host[] = [];
  private readonly processes = new Set<HostProcess>();
  private destroyed = false;

  private constructor(readonly id: string) {}

  static create(label: string): Lab {
    installExitHook();
    const safe = label.replace(/[^a-zA-Z0-9]/g, '').slice(0, 12) || 'lab';
    const lab = new Lab(`${NETNS_PREFIX}${process.pid}-${++labSeq}-${safe}`);
    liveLabs.add(lab);
    return lab;
  }

  track(proc: HostProcess): void {
    this.processes.add(proc);
    void proc.exited.then(() => this.processes.delete(proc));
  }

  /** Creates a host namespace with loopback up and IPv6 DAD off (addresses usable at once). */
  async host(label: string): Promise<Host> {
    if (this.destroyed) throw new Error(`lab ${this.id} is destroyed`);
    const safe = label.replace(/[^a-zA-Z0-9]/g, '').slice(0, 12);
    const netns = `${this.id}-${safe}`;
    await runCommand('ip', ['netns', 'add', netns]);
    const host = new Host(this, label, netns);
    this.hosts.push(host);
    await host.sh(
      'ip link set lo up; sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 2>/dev/null || true',
    );
    return host;
  }

  /** Joins two hosts with a veth pair made directly inside their namespaces, addressed and up. */
  async link(a: Host, b: Host, opts: LinkOptions = {}): Promise<Link> {
    const aIf = a.nextInterfaceName();
    const bIf = b.nextInterfaceName();
    await runCommand('ip', ['link', 'add', aIf, 'netns', a.netns, 'type', 'veth', 'peer', 'name', bIf, 'netns', b.netns]);
    for (const [host, ifName, addrs] of [
      [a, aIf, opts.a ?? []],
      [b, bIf, opts.b ?? []],
    ] as const) {
      for (const addr of addrs) {
        await host.run('ip', ['addr', 'add', addr, 'dev', ifName, ...(addr.includes(':') ? ['nodad'] : [])]);
      }
      await host.run('ip', ['link', 'set', ifName, 'up']);
    }
    // A veth carries traffic only once both ends report carrier; wait for it (bounded).
    await a.sh(`for i in $(seq 50); do [ "$(cat /sys/class/net/${aIf}/operstate)" = up ] && exit 0; sleep 0.05; done; exit 1`);
    await b.sh(`for i in $(seq 50); do [ "$(cat /sys/class/net/${bIf}/operstate)" = up ] && exit 0; sleep 0.05; done; exit 1`);
    return { aIf, bIf };
  }

  /** Stops every process the lab started and deletes its namespaces (and with them veths and rules). */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    await Promise.all([...this.processes].map((p) => p.stop('SIGTERM', 2_000)));
    this.destroySync();
  }

  destroySync(): void {
    this.destroyed = true;
    for (const proc of this.processes) proc.child.kill('SIGKILL');
    for (const name of listNamespaces().filter((n) => n.startsWith(`${this.id}-`))) deleteNamespaceSync(name);
    liveLabs.delete(this);
  }
}
