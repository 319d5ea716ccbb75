import { spawn } from 'node:child_process';
import { MeshcapError } from '../errors.ts';

/** Where and how the capture code runs system commands (iptables, nft, ip). */
export interface CaptureContext {
  /** Run every command inside this network namespace (`ip netns exec <name> …`); default: the current one. */
  netns?: string;
  /** Receives a line per command run and per notable step (the CLI's --verbose). */
  log?: (line: string) => void;
  /** Environment for the commands (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export interface CommandResult {
  command: string;
  code: number | null;
  stdout: string;
  stderr: string;
}

const TIMEOUT_MS = 60_000;

/**
 * The one way meshcap runs a system command (iptables, nft, ip, the demo's tools): to completion,
 * stdin from `input`, killed after `timeoutMs` (default 60 s). Never throws for a non-zero exit
 * (`code` is null when it was killed), only when it cannot start (MESHCAP_ERR_COMMAND_FAILED, its
 * `cause` the spawn error: ENOENT when not installed).
 */
export function runSystemCommand(ctx: CaptureContext, file: string, args: readonly string[], input?: string, timeoutMs = TIMEOUT_MS): Promise<CommandResult> {
  const [bin, argv] = ctx.netns ? ['ip', ['netns', 'exec', ctx.netns, file, ...args]] : [file, [...args]];
  const command = [file, ...args].join(' ');
  ctx.log?.(`$ ${ctx.netns ? `(netns ${ctx.netns}) ` : ''}${command}`);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: ctx.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      const code = (err as NodeJS.ErrnoException).code;
      reject(
        new MeshcapError('MESHCAP_ERR_COMMAND_FAILED', `cannot run ${file}: ${code === 'ENOENT' ? 'not installed' : err.message}`, [], { cause: err }),
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ command, code, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the command may exit before reading its input
    child.stdin.end(input ?? '');
  });
}

/** Like runSystemCommand, but a non-zero exit is a MeshcapError (permission errors get their own code). */
export async function runChecked(ctx: CaptureContext, file: string, args: readonly string[], input?: string): Promise<CommandResult> {
  const result = await runSystemCommand(ctx, file, args, input);
  if (result.code !== 0) throw commandError(result);
  return result;
}

export function commandError(result: CommandResult): MeshcapError {
  const detail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(0, 6).join('\n');
  const permission = /permission denied|operation not permitted|must be root|you must be root/i.test(detail);
  return new MeshcapError(
    permission ? 'MESHCAP_ERR_PERMISSION' : 'MESHCAP_ERR_COMMAND_FAILED',
    `${result.command} failed (exit ${result.code ?? 'killed'})${detail ? `: ${detail}` : ''}${permission ? ' (reading and changing kernel rules needs root or CAP_NET_ADMIN)' : ''}`,
  );
}

/** The path of a binary on PATH or in /usr/sbin (where Debian keeps iptables and nft), or undefined. */
export async function findBinary(ctx: CaptureContext, name: string): Promise<string | undefined> {
  const r = await runSystemCommand({ env: ctx.env }, 'sh', ['-c', 'command -v "$1" || { test -x "/usr/sbin/$1" && echo "/usr/sbin/$1"; }', 'sh', name]);
  const path = r.stdout.trim().split('\n')[0];
  return r.code === 0 && path ? path : undefined;
}
