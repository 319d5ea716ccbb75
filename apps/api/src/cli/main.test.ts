import { describe, expect, it } from 'vitest';
import { CliUsageError, type CliCommand } from '@meshcap/dataplane';
import { main, usage } from './main.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) }, out, err };
}

const fake: CliCommand[] = [
  { path: ['install', 'transparent-proxy'], summary: 'install rules', help: 'install help', run: async (args, io) => (io.stdout(args.join(',')), 0) },
  { path: ['install'], summary: 'generic install', help: 'h', run: async () => 5 },
  { path: ['fail'], summary: 'fails', help: 'h', run: async () => { throw new CliUsageError('--port: "x" is not a port'); } },
];

describe('meshcap CLI dispatch', () => {
  it('prints usage listing every command', async () => {
    const c = capture();
    expect(await main(['--help'], c.io, fake)).toBe(0);
    expect(c.out.join('')).toContain('install transparent-proxy');
    expect(usage(fake)).toContain('Usage: meshcap <command>');
  });

  it('picks the longest matching command path and passes the rest', async () => {
    const c = capture();
    expect(await main(['install', 'transparent-proxy', '--dry-run'], c.io, fake)).toBe(0);
    expect(c.out).toEqual(['--dry-run']);
    expect(await main(['install', 'other'], c.io, fake)).toBe(5);
  });

  it('reports unknown commands and usage errors in one line, exit 2', async () => {
    const c = capture();
    expect(await main(['nope'], c.io, fake)).toBe(2);
    expect(c.err[0]).toMatch(/^error: unknown command "nope"/);
    expect(await main(['fail'], c.io, fake)).toBe(2);
    expect(c.err[1]).toBe('error: --port: "x" is not a port');
  });
});
