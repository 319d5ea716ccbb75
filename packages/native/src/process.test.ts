import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { HostProcess, netnsSupport } from '@meshcap/testkit';
import { exitWithParent } from './index.ts';

const agent = fileURLToPath(new URL('../test-agents/orphan-guard.ts', import.meta.url));
/** Children started by the tests: killed afterwards should a test fail with one still running. */
const children: number[] = [];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the parent agent, waits for its child to arm the guard, kills the parent; resolves with the child's pid. */
async function orphanAChild(args: string[]): Promise<{ child: number; armed: Record<string, unknown> }> {
  const parent = new HostProcess(spawn(process.execPath, ['--import', 'tsx', agent, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }), 'orphan-guard');
  try {
    const armed = JSON.parse(await parent.waitForLine(/"armed"/, 20_000)) as Record<string, unknown>;
    const child = Number(armed.pid);
    children.push(child);
    expect(alive(child)).toBe(true);
    parent.child.kill('SIGKILL');
    await parent.exited;
    return { child, armed };
  } finally {
    parent.child.kill('SIGKILL');
  }
}

async function gone(pid: number, withinMs = 5_000): Promise<boolean> {
  for (const end = Date.now() + withinMs; Date.now() < end; ) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

describe('exitWithParent', () => {
  afterEach(() => {
    for (const pid of children.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('a child that armed it dies when its parent is killed', async () => {
    const { child } = await orphanAChild([]);
    expect(await gone(child)).toBe(true);
  });

  it.skipIf(!netnsSupport().ok)('holds for a child running as the proxy user with ambient capabilities (needs root)', async () => {
    const { child, armed } = await orphanAChild(['--as-proxy-user']);
    expect(armed.uid).toBe(5678);
    expect(await gone(child)).toBe(true);
  });

  it('checks its arguments before any syscall', () => {
    expect(() => exitWithParent('SIGNOPE' as NodeJS.Signals)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => exitWithParent('SIGKILL', 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});
