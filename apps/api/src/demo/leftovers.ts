import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pidAlive, runCommandSync } from './system.ts';

/**
 * Everything a demo creates is named `mcdemo-<pid>…` after the process that runs it: its network
 * namespaces (`mcdemo-<pid>-frontend`), its state directory (`<tmp>/mcdemo-<pid>`), and every process
 * it starts carries `MESHCAP_DEMO_ID=mcdemo-<pid>` in its environment (inherited through
 * `ip netns exec`). So what a killed demo left behind is found exactly — the owner pid is gone —
 * and nothing that belongs to someone else (another live demo, the test kit's `mct-` namespaces)
 * is ever touched.
 */
export const DEMO_PREFIX = 'mcdemo-';
export const DEMO_ID_ENV = 'MESHCAP_DEMO_ID';

export function demoIdFor(pid: number): string {
  return `${DEMO_PREFIX}${pid}`;
}

/** The pid that owns a demo name (`mcdemo-123-frontend` → 123), or undefined when it is not one. */
export function ownerOf(name: string): number | undefined {
  if (!name.startsWith(DEMO_PREFIX)) return undefined;
  const pid = Number(name.slice(DEMO_PREFIX.length).split('-')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function demoStateDir(id: string): string {
  return join(tmpdir(), id);
}

export function listNetns(): string[] {
  return runCommandSync('ip', ['netns', 'list'])
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter(Boolean);
}

/** Pids of processes whose environment has `MESHCAP_DEMO_ID=<id>` (any id when `id` is undefined), with their id. */
export function demoProcesses(id?: string): Array<{ pid: number; id: string }> {
  const out: Array<{ pid: number; id: string }> = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  const marker = `${DEMO_ID_ENV}=`;
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue; // gone, or not ours to read
    }
    const start = environ.indexOf(marker);
    if (start < 0) continue;
    const end = environ.indexOf('\0', start);
    const value = environ.slice(start + marker.length, end < 0 ? undefined : end);
    if (id === undefined || value === id) out.push({ pid, id: value });
  }
  return out;
}

/** Kills every process left in a namespace, then deletes it (with its veths and rules). Never throws. */
export function deleteNetnsSync(name: string): void {
  for (const pid of runCommandSync('ip', ['netns', 'pids', name]).split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  runCommandSync('ip', ['netns', 'del', name]);
}

export interface DemoResidue {
  namespaces: string[];
  processes: number[];
  stateDirs: string[];
}

/** What exists of demo `id` right now (namespaces, processes, state directory). */
export function demoResidue(id: string): DemoResidue {
  const dir = demoStateDir(id);
  let stateDirs: string[];
  try {
    readdirSync(dir);
    stateDirs = [dir];
  } catch {
    stateDirs = [];
  }
  return {
    namespaces: listNetns().filter((n) => n === id || n.startsWith(`${id}-`)),
    processes: demoProcesses(id).map((p) => p.pid),
    stateDirs,
  };
}

/** Removes all of demo `id`: kills its processes, deletes its namespaces and its state directory. Synchronous, never throws. */
export function removeDemoSync(id: string): void {
  for (const { pid } of demoProcesses(id)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const ns of listNetns().filter((n) => n.startsWith(`${id}-`))) deleteNetnsSync(ns);
  rmSync(demoStateDir(id), { recursive: true, force: true });
}

/**
 * Removes what demos whose process is gone left behind (a `kill -9`, a crash, a closed terminal).
 * Returns the ids it cleaned. Live demos are left alone.
 */
export function sweepDeadDemos(): string[] {
  const ids = new Set<string>();
  for (const ns of listNetns()) {
    const owner = ownerOf(ns);
    if (owner !== undefined && !pidAlive(owner)) ids.add(demoIdFor(owner));
  }
  for (const { id } of demoProcesses()) {
    const owner = ownerOf(id);
    if (owner !== undefined && !pidAlive(owner)) ids.add(demoIdFor(owner));
  }
  try {
    for (const entry of readdirSync(tmpdir())) {
      const owner = ownerOf(entry);
      if (owner !== undefined && entry === demoIdFor(owner) && !pidAlive(owner)) ids.add(entry);
    }
  } catch {
    // no readable tmp dir: nothing to sweep there
  }
  for (const id of ids) removeDemoSync(id);
  return [...ids];
}
