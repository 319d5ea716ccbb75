// `meshcap dp --workers N`, the main thread's side: N engine workers (worker_threads) on the same
// listeners, each with its own SO_REUSEPORT socket per port, so the kernel spreads connections
// over them by the 4-tuple hash. This thread keeps what there is one of: the admin, the ADS client,
// the flow channel, the DNS proxy; its own engine (thread 'control') compiles and validates each
// config, serves /config_dump, and shows the flows and the summed counters the workers report.
import { closeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  MeshcapError,
  sumStatSnapshots,
  type DataplaneHandle,
  type Dataplane,
  type EngineLog,
  type FlowRecord,
  type ListenerConfig,
  type PolicyPasses,
  type ServiceDirectory,
  type StatSnapshot,
  type WorkerStats,
  type XdsResourceSet,
} from '@meshcap/core';
import { createListenSocket } from '@meshcap/native';
import { applyInput, type EngineInput, type ErrorData, type FromWorker, type ToWorker, type WorkerEngineOptions, type WorkerInit } from './protocol.ts';

/** `--workers` from 1 to this: more threads than cores only add switching, a few times over is already plenty. */
export const MAX_WORKERS = Math.max(1, availableParallelism()) * 4;

/** Set in the bundle (esbuild's `define`, see dp-runtime.ts): there every thread runs the bundle itself. */
declare const __MESHCAP_DP_BUNDLE__: boolean | undefined;
const RUNNING_BUNDLE = typeof __MESHCAP_DP_BUNDLE__ !== 'undefined';

/**
 * A worker runs the dataplane's entry (dp-main.ts, which runs `runEngineWorker` when it finds its
 * `workerData`): the bundle, or from the sources with tsx's loader registered first, as Node 20
 * does not apply the parent's `--import tsx` hooks to a worker.
 */
function spawnWorker(init: WorkerInit): Worker {
  if (RUNNING_BUNDLE) return new Worker(new URL(import.meta.url), { workerData: init });
  const entry = new URL('../dp-main.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, { eval: true, workerData: init });
}

const bindKey = (l: ListenerConfig): string => `${l.address}|${l.port}`;

/**
 * Fails if anything listens on one of these ports already. The workers' sockets all carry
 * SO_REUSEPORT, so on a port another process of the same user holds with SO_REUSEPORT (a second
 * `meshcap dp --workers` on it, say) they would quietly join its group and take a share of its
 * connections; a socket without it is refused there, as a single-threaded dataplane would be.
 */
function probeFree(listeners: readonly ListenerConfig[]): void {
  for (const l of listeners) {
    let fd: number;
    try {
      fd = createListenSocket({ host: l.address, port: l.port, ipv6Only: l.address.includes(':'), transparent: l.transparent, backlog: 0 });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const where = l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
      throw new MeshcapError(e.code === 'EPERM' || e.code === 'EACCES' ? 'MESHCAP_ERR_PERMISSION' : 'MESHCAP_ERR_LISTEN', `listener ${l.name}: cannot listen on ${where}: ${e.code ?? e.message}`, [], { cause: err });
    }
    closeSync(fd);
  }
}

function toError(e: ErrorData): MeshcapError {
  return new MeshcapError(e.code ?? 'MESHCAP_ERR_WORKER', e.message);
}

export interface EngineWorkersOptions {
  count: number;
  /** What the control engine was started with. */
  input: EngineInput;
  engine: WorkerEngineOptions;
  log: EngineLog;
  /** Default 500 ms: how fresh /stats is. */
  statsIntervalMs?: number;
  /** Flows held per worker while the main thread is behind (default 10 000); past it they are dropped and counted. */
  flowQueue?: number;
}

interface Slot {
  worker: Worker | undefined;
  /** The config the worker started on or last applied. */
  input: EngineInput;
  stats: WorkerStats;
  /** Applies sent and not answered. */
  waiting: Map<number, { resolve: () => void; reject: (err: Error) => void }>;
  ready?: { resolve: () => void; reject: (err: Error) => void };
  stopped?: () => void;
  restartDelayMs: number;
}

const EMPTY: StatSnapshot = { listener: {}, cluster: {}, http: {}, values: {} };

/** The workers, and the handle the rest of `meshcap dp` uses in place of the control engine's. */
export class EngineWorkers {
  private readonly slots: Slot[] = [];
  private current: EngineInput;
  private nextId = 1;
  private stopping = false;
  /** Set once every worker listened: from then on a worker that exits is restarted. */
  private started = false;
  /** The counters of workers that died (kept, so totals never go back when one is restarted). */
  private retired: StatSnapshot = EMPTY;
  private updating: Promise<void> = Promise.resolve();

  private constructor(
    private readonly control: DataplaneHandle,
    private readonly options: EngineWorkersOptions,
  ) {
    this.current = options.input;
  }

  /** Starts the workers on the control engine's config; all of them listen before this resolves, or none runs. */
  static async start(control: DataplaneHandle, options: EngineWorkersOptions): Promise<EngineWorkers> {
    const ephemeral = control.config().listeners.filter((l) => l.bind && l.port === 0);
    if (ephemeral.length) {
      throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `--workers ${options.count}: listener ${ephemeral[0]!.name} has port 0, which each worker would pick differently; give it a port`);
    }
    probeFree(control.config().listeners.filter((l) => l.bind));
    const pool = new EngineWorkers(control, options);
    for (let i = 0; i < options.count; i++) {
      pool.slots.push({ worker: undefined, input: pool.current, stats: { worker: i, running: false, restarts: 0, flowsDropped: 0, stats: EMPTY }, waiting: new Map(), restartDelayMs: 100 });
    }
    try {
      await Promise.all(pool.slots.map((s) => pool.spawn(s)));
    } catch (err) {
      await pool.stop({ drainMs: 0 });
      throw err;
    }
    pool.started = true;
    pool.publishStats();
    return pool;
  }

  private init(slot: Slot): WorkerInit {
    return {
      meshcapEngineWorker: true,
      worker: slot.stats.worker,
      input: this.current,
      options: this.options.engine,
      statsIntervalMs: this.options.statsIntervalMs ?? 500,
      flowBatch: 256,
      flowIntervalMs: 50,
      flowQueue: this.options.flowQueue ?? 10_000,
      maxFlowMessages: 8,
    };
  }

  /** Starts a worker in its slot; resolves when it listens. */
  private spawn(slot: Slot): Promise<void> {
    const init = this.init(slot);
    const worker = spawnWorker(init);
    slot.worker = worker;
    slot.input = init.input;
    const ready = new Promise<void>((resolve, reject) => (slot.ready = { resolve, reject }));
    worker.on('message', (m: FromWorker) => this.onMessage(slot, m));
    worker.on('error', (err) => this.options.log('error', `worker ${slot.stats.worker}: ${err.stack ?? err.message}`));
    worker.on('exit', (code) => this.onExit(slot, worker, code));
    return ready;
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    switch (m.type) {
      case 'ready':
        slot.stats.running = true;
        slot.restartDelayMs = 100;
        slot.ready?.resolve();
        slot.ready = undefined;
        this.catchUp(slot);
        return;
      case 'failed':
        slot.ready?.reject(toError(m.error));
        slot.ready = undefined;
        void slot.worker?.terminate();
        return;
      case 'applied': {
        const w = slot.waiting.get(m.id);
        slot.waiting.delete(m.id);
        if (m.error) w?.reject(toError(m.error));
        else w?.resolve();
        return;
      }
      case 'flows': {
        const flows = this.control.flows;
        for (const f of m.flows) flows.publish(JSON.parse(f) as FlowRecord);
        slot.worker?.postMessage({ type: 'flows-ack' } satisfies ToWorker);
        return;
      }
      case 'stats':
        slot.stats.stats = m.stats;
        slot.stats.flowsDropped = m.flowsDropped;
        this.publishStats();
        return;
      case 'log':
        this.options.log(m.level, m.message);
        return;
      case 'stopped':
        slot.stopped?.();
        return;
    }
  }

  private onExit(slot: Slot, worker: Worker, code: number): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    const wasRunning = slot.stats.running;
    slot.stats.running = false;
    const gone = new MeshcapError('MESHCAP_ERR_WORKER', `worker ${slot.stats.worker} exited (code ${code})`);
    slot.ready?.reject(gone);
    slot.ready = undefined;
    for (const w of slot.waiting.values()) w.reject(gone);
    slot.waiting.clear();
    slot.stopped?.();
    if (this.stopping || !this.started) return;
    if (wasRunning) {
      // Its counters stay in the totals; its open connections are gone with it.
      this.retired = sumStatSnapshots([this.retired, slot.stats.stats], false);
      slot.stats.stats = EMPTY;
    }
    // Also when a restart failed (its port taken meanwhile, say): tried again, less and less often.
    slot.stats.restarts++;
    this.publishStats();
    const delay = slot.restartDelayMs;
    slot.restartDelayMs = Math.min(delay * 2, 5_000);
    this.options.log('error', `worker ${slot.stats.worker} exited (code ${code}); restarting it in ${delay} ms (restart ${slot.stats.restarts})`);
    setTimeout(() => {
      if (this.stopping) return;
      this.spawn(slot).catch((err: Error) => this.options.log('error', `worker ${slot.stats.worker} did not restart: ${err.message}`));
    }, delay).unref();
  }

  /** A worker that (re)started while a config change was under way gets the one in force once it is known. */
  private catchUp(slot: Slot): void {
    if (!slot.stats.running || slot.input === this.current) return;
    this.applyTo(slot, this.current).catch((err: Error) => this.options.log('error', `worker ${slot.stats.worker}: config ${this.current.version}: ${err.message}`));
  }

  private publishStats(): void {
    this.control.setWorkerStats(
      this.slots.map((s) => s.stats),
      this.retired,
    );
  }

  /** Sends a config to one worker; resolves when it is in force there. */
  private applyTo(slot: Slot, input: EngineInput): Promise<void> {
    const worker = slot.worker;
    if (!worker || !slot.stats.running) return Promise.reject(new MeshcapError('MESHCAP_ERR_WORKER', `worker ${slot.stats.worker} is not running`));
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      slot.waiting.set(id, {
        resolve: () => {
          slot.input = input;
          resolve();
        },
        reject,
      });
      worker.postMessage({ type: 'apply', id, input } satisfies ToWorker);
    });
  }

  /**
   * Puts a config in force in the control engine and every running worker, or in none. The
   * control engine first (it compiles and validates; it binds no TCP port), then a probe of the
   * ports the config adds, then the workers; when one of them refuses it (the first refusal is
   * thrown, for the NACK), those that took it go back to the previous one. A worker being
   * restarted starts on whatever is in force by then.
   */
  apply(input: EngineInput, control: () => Promise<void>, previous: () => Promise<void>): Promise<void> {
    const run = async (): Promise<void> => {
      const before = this.current;
      const had = new Set(this.control.config().listeners.filter((l) => l.bind).map(bindKey));
      await control();
      const targets = this.slots.filter((s) => s.stats.running);
      let results: Array<PromiseSettledResult<void>>;
      try {
        probeFree(this.control.config().listeners.filter((l) => l.bind && !had.has(bindKey(l))));
        results = await Promise.allSettled(targets.map((s) => this.applyTo(s, input)));
      } catch (err) {
        results = [{ status: 'rejected', reason: err }];
      }
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (!failed) {
        this.current = input;
        for (const slot of this.slots) if (!targets.includes(slot)) this.catchUp(slot);
        return;
      }
      const undo = [previous(), ...results.map((r, i) => (r.status === 'fulfilled' ? this.applyTo(targets[i]!, before) : undefined))];
      for (const r of await Promise.allSettled(undo)) if (r.status === 'rejected') this.options.log('error', `rolling back to ${before.version}: ${(r.reason as Error).message}`);
      throw failed.reason;
    };
    const result = this.updating.then(run);
    this.updating = result.catch(() => {});
    return result;
  }

  /** Drains every worker (each stops accepting and lets its connections finish), then ends them. */
  async stop(options: { drainMs?: number } = {}): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        const worker = slot.worker;
        if (!worker) return;
        if (slot.stats.running) {
          const stopped = new Promise<void>((resolve) => (slot.stopped = resolve));
          worker.postMessage({ type: 'stop', drainMs: options.drainMs } satisfies ToWorker);
          await stopped;
        }
        await worker.terminate();
      }),
    );
  }

  /** Ends one worker as a crash would (for tests: it is restarted like any that dies). */
  async kill(index: number): Promise<void> {
    await this.slots[index]?.worker?.terminate();
  }

  /** The handle `meshcap dp` and the control plane attachment use: the control engine's, with config changes and stop fanned out. */
  handle(): DataplaneHandle {
    const control = this.control;
    return {
      mesh: control.mesh,
      name: control.name,
      flows: control.flows,
      get version() {
        return control.version;
      },
      get admin() {
        return control.admin;
      },
      config: () => control.config(),
      stats: () => control.stats(),
      statSnapshot: () => control.statSnapshot(),
      setWorkerStats: (workers, retired) => control.setWorkerStats(workers, retired),
      listeners: () => control.listeners(),
      clusters: () => control.clusters(),
      configDump: () => control.configDump(),
      setConfigDump: (provider) => control.setConfigDump(provider),
      updateConfig: (version: string, dataplane: Dataplane, policies?: PolicyPasses, services?: ServiceDirectory): Promise<void> => {
        if (policies) return Promise.reject(new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', 'with --workers, policy passes cannot be handed to the engine (they do not cross threads)'));
        const before = this.current;
        return this.apply(
          { kind: 'dataplane', version, dataplane, services },
          () => control.updateConfig(version, dataplane, undefined, services),
          () => applyInput(control, before),
        );
      },
      applyXds: (version: string, resources: XdsResourceSet): Promise<void> => {
        const before = this.current;
        return this.apply(
          { kind: 'xds', mesh: control.mesh, name: control.name, version, resources },
          () => control.applyXds(version, resources),
          () => applyInput(control, before),
        );
      },
      stop: async (o?: { drainMs?: number }): Promise<void> => {
        await this.stop(o);
        await control.stop({ drainMs: 0 });
      },
    };
  }
}
