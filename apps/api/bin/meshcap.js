#!/usr/bin/env node
// The meshcap command. Sources are TypeScript run through tsx's loader (internal JIT packages).
// `meshcap dp` goes to @meshcap/dataplane before anything of the control plane is imported: a
// dataplane loads neither Fastify nor the SQLite or PostgreSQL drivers (cli/dp-process.test.ts).
import { register } from 'tsx/esm/api';

register();
const argv = process.argv.slice(2);
const main = argv[0] === 'dp' ? (await import('@meshcap/dataplane')).dpMain : (await import('../src/cli/main.ts')).main;
process.exitCode = await main(argv);
