// The dataplane's process entry: `meshcap dp` (apps/api/bin/meshcap.js hands `dp` here before it
// loads the control plane's CLI) and the proxy-user child of a root `meshcap dp`, which runs it
// bundled by esbuild into one file (see dp-runtime.ts). This package imports nothing of the control
// plane (Fastify, the store, SQLite/PostgreSQL drivers): lint's arrows forbid it.
import { dpMain } from './main.ts';

process.exitCode = await dpMain(process.argv.slice(2));
