import { execFileSync } from 'node:child_process';
import { runSystemCommand } from '@meshcap/core';

/** The outcome of a finished system command. */
export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `file args` to completion with core's command runner (bounded by `timeoutMs`). Rejects with
 * the command line and its stderr when it exits non-zero, unless `allowFail`.
 */
export async function runCommand(file: string, args: readonly string[], opts: { allowFail?: boolean; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CommandOutput> {
  const r = await runSystemCommand({ env: opts.env }, file, args, undefined, opts.timeoutMs ?? 30_000);
  // A command killed at the timeout has no exit code: it failed.
  const code = r.code ?? 1;
  if (code !== 0 && !opts.allowFail) throw new Error(`${r.command} failed (exit ${r.code ?? 'killed'}): ${(r.stderr || r.stdout).trim()}`);
  return { code, stdout: r.stdout, stderr: r.stderr };
}

/** Synchronous variant for exit-time cleanup; never throws, returns stdout ('' on failure). */
export function runCommandSync(file: string, args: readonly string[]): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
  } catch {
    return '';
  }
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
