import { describeNetns } from '@meshcap/testkit';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// `npm run soak` itself, briefly (SOAK_MINUTES=0.5), so the command cannot rot: it must set up,
// drive mixed traffic with policy toggles, print its drift figures and a verdict, and exit 0
// exactly when the verdict is PASS. Half a minute is too short for the RSS criterion (a
// dataplane's heap still grows for its first ~80 s under this load), so the verdict itself is
// judged by full runs (see README).


const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

describeNetns('npm run soak (brief)', () => {
  it('runs half a minute of mixed traffic with policy toggles, prints RSS and fd drift and a verdict, and its exit code is that verdict', async () => {
    const child = spawn('npm', ['run', 'soak', '--silent'], { cwd: ROOT, env: { ...process.env, SOAK_MINUTES: '0.5', SOAK_WARMUP_S: '10', SOAK_TOGGLE_S: '3' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    console.log(out.split('\n').filter((l) => l.startsWith('[soak]')).join('\n'));
    expect(out).toMatch(/\[soak\] web: RSS [\d.]+ MiB at start; after the 10 s warm-up [\d.]+ MiB, at the end [\d.]+ MiB \(drift -?[\d.]+ %; .*\), fds \d+ → \d+/);
    expect(out).toMatch(/\[soak\] backend: RSS/);
    const summary = /\[soak\] 0\.5 min: (\d+) requests, (\d+) failed.*, (\d+) policy toggles: (PASS|FAIL)/.exec(out);
    expect(summary, out.slice(-2000)).not.toBeNull();
    expect(Number(summary![1])).toBeGreaterThan(0);
    expect(Number(summary![3])).toBeGreaterThanOrEqual(5);
    expect(code).toBe(summary![4] === 'PASS' ? 0 : 1);
  }, 300_000);
});
