import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { DEMO_ID_ENV } from './leftovers.ts';

const TAIL_BYTES = 16 * 1024;

export interface DemoProcessSpec {
  /** Short name for logs and errors: `cp`, `dp frontend`, `app backend`. */
  name: string;
  file: string;
  args: readonly string[];
  /** Network namespace to run in (through `ip netns exec`, which execs in place: the pid is the program's). */
  netns?: string;
  demoId: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** File that receives the process's stdout and stderr. */
  logFile: string;
}

/**
 * A process the demo started. It runs in its own process group, so a Ctrl-C in the terminal reaches
 * only the demo, which then stops everything in order; its output goes to a log file and the last
 * few KiB are kept for error messages.
 */
export class DemoProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private tail = '';
  private lineBuffer = '';
  private readonly lines: string[] = [];
  private waiters: Array<{ re: RegExp; resolve: (line: string) => void }> = [];
  private readonly log: WriteStream;
  private done = false;

  constructor(readonly spec: DemoProcessSpec) {
    const [file, args] = spec.netns ? ['ip', ['netns', 'exec', spec.netns, spec.file, ...spec.args]] : [spec.file, [...spec.args]];
    this.log = createWriteStream(spec.logFile, { flags: 'a' });
    this.child = spawn(file, args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env, [DEMO_ID_ENV]: spec.demoId },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child.stdout?.on('data', (chunk: Buffer) => this.onOutput(chunk, true));
    this.child.stderr?.on('data', (chunk: Buffer) => this.onOutput(chunk, false));
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.onOutput(Buffer.from(`spawn failed: ${err.message}\n`), false);
        this.done = true;
        resolve({ code: null, signal: null });
      });
      this.child.on('close', (code, signal) => {
        this.done = true;
        this.log.end();
        resolve({ code, signal });
      });
    });
  }

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.done;
  }

  /** The last lines the process wrote (stdout and stderr interleaved). */
  output(): string {
    return this.tail.trim();
  }

  private onOutput(chunk: Buffer, stdout: boolean): void {
    this.log.write(chunk);
    const text = chunk.toString('utf8');
    this.tail = (this.tail + text).slice(-TAIL_BYTES);
    if (!stdout) return;
    const parts = (this.lineBuffer + text).split('\n');
    this.lineBuffer = parts.pop() ?? '';
    for (const line of parts) {
      if (this.lines.length < 1000) this.lines.push(line);
      this.waiters = this.waiters.filter((w) => {
        if (!w.re.test(line)) return true;
        w.resolve(line);
        return false;
      });
    }
  }

  /** The first stdout line (past or future, among the first 1000) matching `re`. */
  waitForLine(re: RegExp, timeoutMs: number): Promise<string> {
    const seen = this.lines.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(`did not print ${re} within ${timeoutMs} ms`), timeoutMs);
      const waiter = {
        re,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const fail = (why: string): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`${this.name} ${why}; its output:\n${this.output() || '(none)'}`));
      };
      this.waiters.push(waiter);
      void this.exited.then(({ code, signal }) => {
        if (this.waiters.includes(waiter)) fail(`exited (${signal ?? `code ${code}`}) before printing ${re}`);
      });
    });
  }

  /** Rejects if the process exits before `promise` settles; for "wait until ready, unless it died". */
  async aliveWhile<T>(promise: Promise<T>): Promise<T> {
    let onExit: (v: { code: number | null; signal: NodeJS.Signals | null }) => void = () => {};
    const died = new Promise<never>((_, reject) => {
      onExit = ({ code, signal }) => reject(new Error(`${this.name} exited (${signal ?? `code ${code}`}); its output:\n${this.output() || '(none)'}`));
    });
    void this.exited.then((v) => onExit(v));
    try {
      return await Promise.race([promise, died]);
    } finally {
      onExit = () => {};
    }
  }

  /** Sends `signal`, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<void> {
    if (this.done) return;
    this.kill(signal);
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Signals the process (not its group: programs clean up their own children). Never throws. */
  kill(signal: NodeJS.Signals): void {
    if (this.done || this.child.pid === undefined) return;
    try {
      process.kill(this.child.pid, signal);
    } catch {
      // already gone
    }
  }
}
