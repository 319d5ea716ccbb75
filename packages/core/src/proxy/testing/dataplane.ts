// Test fixture: runs a dataplane from a file the way `meshcap dp` does; prints JSON lines on stdout.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadDataplaneFile } from '../standalone.ts';
import { runDataplaneProcess } from '../standalone.ts';

const { values } = parseArgs({
  options: {
    file: { type: 'string' },
    name: { type: 'string' },
    'admin-port': { type: 'string' },
    mark: { type: 'string' },
    'idle-timeout': { type: 'string' },
    'connect-timeout': { type: 'string' },
    drain: { type: 'string' },
  },
});
const out = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

const file = values.file!;
const { dataplane, services } = loadDataplaneFile(readFileSync(file, 'utf8'), file, values.name);
const { handle, exited } = await runDataplaneProcess({
  dataplane,
  services,
  admin: { port: num(values['admin-port']) },
  upstreamMark: num(values.mark),
  idleTimeoutMs: num(values['idle-timeout']),
  connectTimeoutMs: num(values['connect-timeout']),
  drainMs: num(values.drain),
  log: (level, message) => out({ event: 'log', level, message }),
});
out({ event: 'ready', admin: handle.admin, uid: process.getuid?.(), listeners: handle.listeners().map((l) => l.name) });
const code = await exited;
out({ event: 'exit', code });
process.exit(code);
