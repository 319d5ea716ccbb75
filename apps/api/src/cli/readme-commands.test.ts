import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeNetns, Lab, privateCheckout, type Host, type PrivateCheckout } from '@meshcap/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoIdFor, demoResidue, sweepDeadDemos } from '../demo/index.ts';

/**
 * Every command the README shows (its ```sh blocks) is run here, as written, so the README cannot
 * rot. `npx meshcap` runs this checkout's bin; `sudo` is a no-op (the tests run as root).
 */

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(ROOT, 'apps/api/bin/meshcap.js');

/** The commands of the README's sh blocks, comments removed, by the block's heading. */
function readmeCommands(markdown: string): Array<{ section: string; command: string }> {
  const out: Array<{ section: string; command: string }> = [];
  let section = '';
  let inSh = false;
  for (const line of markdown.split('\n')) {
    if (!inSh && line.startsWith('## ')) section = line.slice(3).trim();
    if (/^```(sh|bash|shell)\s*$/.test(line)) inSh = true;
    else if (inSh && line.startsWith('```')) inSh = false;
    else if (inSh) {
      const command = line.replace(/(^|\s)#.*$/, '').trim();
      if (command) out.push({ section, command });
    }
  }
  return out;
}

const commands = readmeCommands(readFileSync(join(ROOT, 'README.md'), 'utf8'));

/** Not run by this test, and why. Anything else the README shows must be run below. */
const NOT_RUN: Record<string, string> = {
  'npm test': 'is the whole suite, this test among it; CI runs it (.ci/run)',
  'npm run fuzz': 'runs the *.fuzz.test.ts files with 100,000 inputs per property; the suite runs the same files seeded and short',
  'cd apps/api && npx vitest run src/integration/faults.netns.test.ts': 'is a test file of the suite',
  'cd apps/api && npx vitest run src/integration/load.netns.test.ts': 'is a test file of the suite',
  'npm run soak': 'runs 30 minutes; src/soak/soak.netns.test.ts runs it briefly',
};

/** Verbs that keep running: started in the background and waited for until they say so. */
const LONG_RUNNING: Record<string, string> = { cp: 'meshcap cp: ready', dp: 'meshcap dp: ready' };

describe('README commands', () => {
  it('are found, and each is run by this file or listed with why not', () => {
    expect(commands.length).toBeGreaterThanOrEqual(10);
    const usingIt = commands.filter((c) => c.section === 'Using it');
    expect(usingIt.every((c) => /^(sudo )?npx meshcap /.test(c.command)), JSON.stringify(usingIt)).toBe(true);
    const quickStart = commands.filter((c) => c.section === 'Quick start').map((c) => c.command);
    expect(quickStart.filter((c) => !(c in NOT_RUN))).toEqual(['npm run demo']);
    expect(commands.filter((c) => c.section !== 'Using it' && c.section !== 'Quick start' && !(c.command in NOT_RUN))).toEqual([]);
  });

  it('npm run demo ends in `meshcap demo` (run below) after the set-up and build', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.demo).toMatch(/^bash scripts\/setup\.sh && .*turbo run build .*&& meshcap demo$/);
  });
});

/** A bash script running the "Using it" commands in order; long-running ones in the background until ready. */
function usingItScript(): string {
  const lines = [
    'set -u',
    `npx() { [ "$1" = meshcap ] || { echo "npx $1: not meshcap" >&2; return 1; }; shift; node ${JSON.stringify(BIN)} "$@"; }`,
    'sudo() { "$@"; }',
    // The cp's default data directory and socket (root): private to this mount namespace.
    'mkdir -p /run/meshcap /var/lib/meshcap && mount -t tmpfs tmpfs /run/meshcap && mount -t tmpfs tmpfs /var/lib/meshcap',
    // Each background command is a subshell running node: both are signalled.
    'pids=""; trap \'for p in $pids; do pkill -TERM -P $p; kill $p 2>/dev/null; done; wait\' EXIT',
  ];
  commands
    .filter((c) => c.section === 'Using it')
    .forEach(({ command }, i) => {
      const verb = command.replace(/^(sudo )?npx meshcap /, '').split(' ')[0]!;
      const ready = LONG_RUNNING[verb];
      lines.push(`echo "=== ${i} ${command.replace(/"/g, '\\"')}"`);
      if (ready) {
        // One dataplane at a time, as a user runs them: each `dp` line is another way to run the same
        // one (same file, ports and admin), so the one before is stopped (SIGTERM drains) first: its
        // node, the child of the background subshell that ran the npx function.
        if (verb === 'dp') lines.push('[ -n "${dp:-}" ] && { pkill -TERM -P "$dp"; wait "$dp"; }');
        lines.push(`${command} > long-${i}.log 2>&1 & pids="$! $pids"`);
        if (verb === 'dp') lines.push('dp=$!');
        lines.push(`for t in $(seq 1 300); do grep -Fxq '${ready}' long-${i}.log && break; sleep 0.2; done`);
        lines.push(`grep -Fxq '${ready}' long-${i}.log || { echo "NOT READY: ${verb}"; cat long-${i}.log; exit 1; }`);
        // What a user does between starting the control plane and the dataplane: issue its token.
        if (verb === 'cp') lines.push('node ' + JSON.stringify(BIN) + ' generate dataplane-token --name web > token || exit 1');
      } else {
        lines.push(`${command} || { echo "FAILED (exit $?): ${command.replace(/"/g, '\\"')}"; exit 1; }`);
      }
    });
  lines.push('echo "=== uninstall"', `node ${JSON.stringify(BIN)} uninstall transparent-proxy`);
  return lines.join('\n');
}

describeNetns('README commands in a namespace', () => {
  let lab: Lab;
  let host: Host;
  const dir = mkdtempSync(join(tmpdir(), 'meshcap-readme-'));
  beforeAll(async () => {
    lab = Lab.create('readme');
    host = await lab.host('web');
    const peer = await lab.host('peer');
    // The trace example's destination is on this network, so the kernel has a source for it.
    await lab.link(host, peer, { a: ['198.18.0.10/24'], b: ['198.18.0.20/24'] });
    writeFileSync(join(dir, 'dp.yaml'), 'type: Dataplane\nmesh: default\nname: web\nnetworking:\n  address: 198.18.0.10\n  inbound:\n    - port: 8080\n      servicePort: 18080\n      tags: { kuma.io/service: web }\n');
    writeFileSync(join(dir, 'policies.yaml'), 'type: MeshTrafficPermission\nmesh: default\nname: allow-all\nspec:\n  targetRef: { kind: Mesh }\n  from:\n    - targetRef: { kind: Mesh }\n      default: { action: Allow }\n');
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('"Using it": each runs and succeeds, in order, as written', async () => {
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile('ip', ['netns', 'exec', host.netns, 'unshare', '--mount', '--propagation', 'private', 'bash', '-c', usingItScript()], { cwd: dir, timeout: 150_000, maxBuffer: 16 << 20 }, (err, out, errOut) =>
        resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout: `${out}\n${errOut}` }),
      );
    });
    if (process.env.MESHCAP_README_LOG) writeFileSync(process.env.MESHCAP_README_LOG, stdout);
    expect(code, stdout).toBe(0);
    const ran = commands.filter((c) => c.section === 'Using it').map((c, i) => `=== ${i} ${c.command}`);
    for (const marker of [...ran, '=== uninstall']) expect(stdout, marker).toContain(marker);
    expect(stdout).toContain('transparent proxy installed');
    expect(stdout).toContain('transparent proxy uninstalled');
  }, 180_000);
});

describeNetns('README quick start', () => {
  // Issue 20: from a clone where root clones it, a 0700 home, with what the set-up and build leave.
  let checkout: PrivateCheckout;
  beforeAll(() => {
    checkout = privateCheckout(ROOT, ['apps/web/.next']);
  });
  afterAll(() => checkout?.remove());

  it('npm run demo: `meshcap demo` from a clone in a 0700 home comes up and Ctrl-C removes everything (bounded)', async () => {
    expect(statSync(checkout.home).mode & 0o777).toBe(0o700);
    // As written it listens on 5681; another port here, so a control plane already running there does not fail the test.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const child = spawn(process.execPath, [join(checkout.dir, 'apps/api/bin/meshcap.js'), 'demo', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'], cwd: checkout.dir });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 150_000;
      while (!/Press Ctrl-C/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 250));
      expect(out).toMatch(/Press Ctrl-C/);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(demoResidue(demoIdFor(child.pid!))).toEqual({ namespaces: [], processes: [], stateDirs: [] });
    } finally {
      child.kill('SIGKILL');
      await exited;
      sweepDeadDemos();
    }
  }, 200_000);
});
