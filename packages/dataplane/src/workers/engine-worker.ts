// One engine worker of `meshcap dp --workers N` (the thread side; engine-workers.ts is the main
// thread's). It runs the engine on the dataplane's listeners with SO_REUSEPORT and no admin, and
// reports its flows (batched, bounded, drops counted) and its counters to the main thread.
import { parentPort } from 'node:worker_threads';
import { startDataplane, tcpRelays, type DataplaneHandle, type EngineLog } from '@meshcap/core';
import { applyInput, errorData, type EngineInput, type FromWorker, type ToWorker, type WorkerInit } from './protocol.ts';

/** The start options of an input, as `startDataplane` takes them. */
function startOf(input: EngineInput): Parameters<typeof startDataplane>[0] {
  return input.kind === 'dataplane'
    ? { dataplane: input.dataplane, services: input.services, version: input.version }
    : { xds: { mesh: input.mesh, name: input.name, version: input.version, resources: input.resources } };
}

export async function runEngineWorker(init: WorkerInit): Promise<void> {
  const port = parentPort!;
  const send = (m: FromWorker): void => port.postMessage(m);
  const log: EngineLog = (level, message) => send({ type: 'log', level, message: `worker ${init.worker}: ${message}` });
  // As in the single-threaded dataplane: a bug must not take this worker's connections down.
  process.on('uncaughtException', (err) => log('error', `internal error (the worker keeps running): ${err.stack ?? err.message}`));
  process.on('unhandledRejection', (err) => log('error', `internal error (the worker keeps running): ${(err as Error)?.stack ?? String(err)}`));
  let handle: DataplaneHandle;
  try {
    handle = await startDataplane({
      ...startOf(init.input),
      ...init.options,
      relay: tcpRelays[init.options.relay],
      admin: false,
      thread: 'worker',
      // Its flows go to the main thread's log; this one only has to exist.
      flowBufferSize: 1,
      log,
    });
  } catch (err) {
    send({ type: 'failed', error: errorData(err) });
    return;
  }

  let pending: string[] = [];
  let unacked = 0;
  let dropped = 0;
  const flush = (): void => {
    if (pending.length === 0 || unacked >= init.maxFlowMessages) return;
    unacked++;
    send({ type: 'flows', flows: pending });
    pending = [];
  };
  handle.flows.subscribe((flow) => {
    if (pending.length >= init.flowQueue) {
      dropped++;
      return;
    }
    pending.push(JSON.stringify(flow));
    if (pending.length >= init.flowBatch) flush();
  });
  const report = (): void => send({ type: 'stats', stats: handle.statSnapshot(), flowsDropped: dropped });
  const flowTimer = setInterval(flush, init.flowIntervalMs);
  const statsTimer = setInterval(report, init.statsIntervalMs);

  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'flows-ack':
        unacked--;
        flush();
        return;
      case 'apply':
        applyInput(handle, m.input).then(
          () => send({ type: 'applied', id: m.id }),
          (err: unknown) => send({ type: 'applied', id: m.id, error: errorData(err) }),
        );
        return;
      case 'stop':
        void handle.stop({ drainMs: m.drainMs }).finally(() => {
          clearInterval(flowTimer);
          clearInterval(statsTimer);
          // What is left goes whatever is unacknowledged: the main thread stops after this.
          if (pending.length) send({ type: 'flows', flows: pending });
          report();
          send({ type: 'stopped' });
        });
        return;
    }
  });
  report();
  send({ type: 'ready' });
}
