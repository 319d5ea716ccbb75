import { execFile, execFileSync } from 'node:child_process';

/** The outcome of a finished system command. */
export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `file args` to completion (bounded by `timeoutMs`). Rejects with the command line and its
 * stderr when it exits non-zero, unless `allowFail`.
 */
export function runCommand(file: string, args: readonly string[], opts: { allowFail?: boolean; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024, env: opts.env ?? process.env, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      if (err && !opts.allowFail) {
        reject(new Error(`${[file, ...args].join(' ')} failed (exit ${code}): ${(stderr || stdout || err.message).trim()}`));
        return;
      }
      resolve({ code, stdout, stderr });
    });
  });
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
