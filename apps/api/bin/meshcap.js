#!/usr/bin/env node
// The meshcap command. `meshcap dp` goes to @meshcap/dataplane before anything of the control plane
// is imported: a dataplane loads neither Fastify nor the SQLite or PostgreSQL drivers
// (src/cli/dp-process.test.ts). It runs the compiled dataplane when the build made one that is
// newer than every file it was made of (packages/dataplane/src/dp-runtime.ts, buildDataplane): no
// TypeScript loader in the process. Otherwise, and for every other verb, the sources run through
// tsx's loader (internal JIT packages).
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** packages/dataplane/dist/dp.mjs, if it is there and no file listed in dist/inputs.json changed after it was written. */
function compiledDataplane() {
  const dist = fileURLToPath(new URL('../dist/', import.meta.resolve('@meshcap/dataplane')));
  try {
    const built = statSync(`${dist}dp.mjs`).mtimeMs;
    const inputs = JSON.parse(readFileSync(`${dist}inputs.json`, 'utf8'));
    return inputs.every((file) => statSync(file).mtimeMs <= built) ? `${dist}dp.mjs` : undefined;
  } catch {
    return undefined;
  }
}

const argv = process.argv.slice(2);
const compiled = argv[0] === 'dp' ? compiledDataplane() : undefined;
if (compiled) {
  // Its entry runs `meshcap dp` with process.argv, as the proxy-user runtime's copy does.
  await import(compiled);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const main = argv[0] === 'dp' ? (await import('@meshcap/dataplane')).dpMain : (await import('../src/cli/main.ts')).main;
  process.exitCode = await main(argv);
}
