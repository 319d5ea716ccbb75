// The dataplane's process entry: `meshcap dp` (apps/api/bin/meshcap.js hands `dp` here before it
// loads the control plane's CLI) and the proxy-user child of a root `meshcap dp`, which runs it
// bundled by esbuild into one file (see dp-runtime.ts). This package imports nothing of the control
// plane (Fastify, the store, SQLite/PostgreSQL drivers): lint's arrows forbid it.
// It is also each engine worker thread of `meshcap dp --workers N` (see workers/engine-workers.ts),
// which finds its start in `workerData`.
import { workerData } from 'node:worker_threads';
import { dpMain } from './main.ts';
import { runEngineWorker } from './workers/engine-worker.ts';
import type { WorkerInit } from './workers/protocol.ts';

if ((workerData as WorkerInit | null)?.meshcapEngineWorker) await runEngineWorker(workerData as WorkerInit);
else process.exitCode = await dpMain(process.argv.slice(2));
