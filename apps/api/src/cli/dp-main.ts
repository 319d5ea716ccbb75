// The dataplane's own entry point: only `meshcap dp`. The proxy-user child of a root `meshcap dp`
// runs it, bundled by esbuild into one file (see dp-runtime.ts), so it must not import the control
// plane (store, Fastify, SQLite/PostgreSQL drivers) or the other commands.
import { dpCommand } from './commands/dp.ts';
import { defaultIO, runCommands } from './run.ts';

process.exitCode = await runCommands(process.argv.slice(2), defaultIO, [dpCommand]);
