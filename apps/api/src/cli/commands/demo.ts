import { parseArgs } from 'node:util';
import { startDemo, type DemoHandle } from '../../demo/index.ts';
import { CliUsageError, type CliCommand, type CliIO } from '@meshcap/dataplane';

const HELP = `Usage: meshcap demo [flags]

Starts a small mesh you can watch, like Kuma's counter demo: a frontend app on :5000 that calls a
backend counter service, and a client that sends steady traffic to the frontend. Each workload runs
in its own network namespace (mcdemo-<pid>-*, addresses from 198.18.10.0/24 and 2001:2:0:a::/64)
with the transparent proxy installed and its own \`meshcap dp\`; the control plane and the dashboard
run on 127.0.0.1. Example policies are applied from apps/api/src/demo/policies/: a 300ms delay on
half of the requests (MeshFaultInjection), timeouts, a rate limit and a traffic permission that
denies the client's direct calls to the backend.

Ctrl-C (SIGINT), SIGTERM or SIGHUP stops everything and removes every namespace, veth, rule and process
the demo made; a new demo also removes what a killed one left behind.

Without root, the demo says so and runs in the non-transparent mode on loopback: dataplanes with
explicit inbound and outbound ports, the same control plane and dashboard.

Flags:
  --port N            control plane API and dashboard port on 127.0.0.1 (default 5681)
  --rate N            client requests per second, at most 50 (default 4)
  --direct-every N    every N-th client request goes straight to the backend (0: never; default 10)
  --mode MODE         auto (default), transparent (fail without root) or explicit
  --no-policies       do not apply the example policies
`;

function intFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliUsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

function banner(demo: DemoHandle): string {
  const lines = [
    '',
    `meshcap demo is running (${demo.mode} mode${demo.mode === 'transparent' ? `, network namespaces ${demo.id}-*` : ', loopback'})`,
    '',
    `  dashboard   ${demo.urls.dashboardWithToken}`,
    `  API         ${demo.urls.api}  (OpenAPI: ${demo.urls.api}/openapi.json)`,
    `  token       ${demo.token}`,
    '',
    '  dataplanes:',
    ...demo.dataplanes.map(
      (d) => `    ${d.name.padEnd(9)} ${d.address.padEnd(12)} ${d.inboundListener.padEnd(26)} ${d.netns ? `netns ${d.netns}` : `admin 127.0.0.1:${d.adminPort}`}`,
    ),
    '',
    `  client → ${demo.urls.frontend} → backend ${demo.urls.backend}`,
    '',
    'Press Ctrl-C to stop; everything the demo made is removed.',
  ];
  return lines.join('\n');
}

export const demoCommand: CliCommand = {
  path: ['demo'],
  summary: 'run a demo mesh (frontend, backend, client) in network namespaces with the dashboard',
  help: HELP,
  async run(args: string[], io: CliIO): Promise<number> {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        options: {
          port: { type: 'string' },
          rate: { type: 'string' },
          'direct-every': { type: 'string' },
          mode: { type: 'string' },
          'no-policies': { type: 'boolean' },
        },
        strict: true,
        allowPositionals: false,
      });
    } catch (err) {
      throw new CliUsageError((err as Error).message);
    }
    const v = parsed.values;
    const mode = v.mode ?? 'auto';
    if (mode !== 'auto' && mode !== 'transparent' && mode !== 'explicit') throw new CliUsageError(`--mode must be auto, transparent or explicit, got "${mode}"`);
    const options = {
      mode,
      apiPort: intFlag('port', v.port, 1, 65535),
      rate: intFlag('rate', v.rate, 1, 50),
      directEvery: intFlag('direct-every', v['direct-every'], 0, 1000),
      policies: !v['no-policies'],
      log: (line: string) => io.stderr(`meshcap demo: ${line}`),
    } as const;

    // Signals are taken before starting, so a Ctrl-C during the start also tears down cleanly.
    let demo: DemoHandle | undefined;
    let stopRequested = false;
    let signals = 0;
    let release: () => void = () => {};
    const stopped = new Promise<void>((resolve) => (release = resolve));
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        io.stderr(`meshcap demo: second ${signal}, removing everything now`);
        process.exit(130); // the demo's exit hook removes namespaces and processes synchronously
      }
      io.stderr(`meshcap demo: ${signal}, stopping`);
      stopRequested = true;
      release();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal); // the terminal closed
    try {
      try {
        demo = await startDemo(options);
      } catch (err) {
        io.stderr(`error: the demo did not start: ${(err as Error).message}`);
        return 1;
      }
      if (!stopRequested) {
        io.stdout(banner(demo));
        await stopped;
      }
      const left = await demo.stop();
      const leftovers = [...left.namespaces.map((n) => `namespace ${n}`), ...left.processes.map((p) => `process ${p}`), ...left.stateDirs];
      if (leftovers.length) {
        io.stderr(`error: could not remove ${leftovers.join(', ')}`);
        return 1;
      }
      io.stderr('meshcap demo: stopped; no namespace, veth, rule or process is left');
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
    }
  },
};
