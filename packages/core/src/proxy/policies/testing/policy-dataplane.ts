// Test fixture: a dataplane driven by compiled policies, the way a control-plane client drives one.
// Reads `{ "policies": DataplanePolicies }` from --file at start and again on each SIGUSR1 (then
// updateConfig); prints JSON lines: ready, updated (with the version), nack (with the error).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { DataplanePolicies } from '../../../policy/index.ts';
import { runDataplaneProcess } from '../../standalone.ts';
import { policyPasses, serviceDirectoryOf } from '../index.ts';

const { values } = parseArgs({ options: { file: { type: 'string' }, 'admin-port': { type: 'string' }, random: { type: 'string' } } });
const out = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
const read = (): DataplanePolicies => (JSON.parse(readFileSync(values.file!, 'utf8')) as { policies: DataplanePolicies }).policies;
// A constant draw makes every percentage deterministic: a fault fires when draw × 100 < percentage.
const fixed = values.random === undefined ? undefined : Number(values.random);

const policies = read();
const { handle, exited } = await runDataplaneProcess({
  dataplane: policies.resource,
  version: policies.version.versionInfo,
  services: serviceDirectoryOf(policies),
  policies: policyPasses(policies),
  admin: { port: Number(values['admin-port'] ?? 9901) },
  ...(fixed === undefined ? {} : { random: () => fixed }),
  log: (level, message) => out({ event: 'log', level, message }),
});
process.on('SIGUSR1', () => {
  let next: DataplanePolicies;
  try {
    next = read();
  } catch (err) {
    out({ event: 'nack', error: (err as Error).message });
    return;
  }
  handle.updateConfig(next.version.versionInfo, next.resource, policyPasses(next), serviceDirectoryOf(next)).then(
    () => out({ event: 'updated', version: handle.version }),
    (err: unknown) => out({ event: 'nack', version: next.version.versionInfo, error: (err as Error).message }),
  );
});
out({ event: 'ready', version: handle.version, listeners: handle.listeners().map((l) => l.name) });
const code = await exited;
out({ event: 'exit', code });
process.exit(code);
