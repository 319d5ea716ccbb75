// What the dataplane's threads say to each other with `meshcap dp --workers N` (structured clone
// over the worker's MessagePort). The main thread holds the admin, the ADS client and the flow
// channel; each worker runs an engine on the same listeners (SO_REUSEPORT) and reports back.
import type { Dataplane, DataplaneHandle, DataplaneOptions, MeshcapErrorCode, ServiceDirectory, StatSnapshot, XdsResourceSet } from '@meshcap/core';

/**
 * A config as the engine's entry points take it. Not the compiled config: its policy passes are
 * closures, which cannot cross threads, so each worker compiles what the main thread compiled,
 * from the same input, with the same code.
 */
export type EngineInput =
  | { kind: 'dataplane'; version: string; dataplane: Dataplane; services?: ServiceDirectory }
  | { kind: 'xds'; mesh: string; name: string; version: string; resources: XdsResourceSet };

/** Puts `input` in force on an engine (a worker's, or the main thread's when it rolls back). */
export function applyInput(handle: DataplaneHandle, input: EngineInput): Promise<void> {
  return input.kind === 'dataplane' ? handle.updateConfig(input.version, input.dataplane, undefined, input.services) : handle.applyXds(input.version, input.resources);
}

/** The engine options a worker starts with (the plain-data ones: the relay by name). */
export type WorkerEngineOptions = Pick<DataplaneOptions, 'upstreamMark' | 'tproxyMark' | 'connectTimeoutMs' | 'idleTimeoutMs' | 'requestHeadersTimeoutMs'> & { relay: 'native' | 'stream' };

/** `workerData` of an engine worker; `meshcapEngineWorker` tells the dp entry to run one. */
export interface WorkerInit {
  meshcapEngineWorker: true;
  worker: number;
  input: EngineInput;
  options: WorkerEngineOptions;
  /** How often it reports its stats. */
  statsIntervalMs: number;
  /** Flows per message and the longest one waits. */
  flowBatch: number;
  flowIntervalMs: number;
  /** Flows held while `maxFlowMessages` are unacknowledged; past it new ones are dropped and counted. */
  flowQueue: number;
  maxFlowMessages: number;
}

export interface ErrorData {
  code?: MeshcapErrorCode;
  message: string;
}

export type ToWorker = { type: 'apply'; id: number; input: EngineInput } | { type: 'flows-ack' } | { type: 'stop'; drainMs?: number };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'failed'; error: ErrorData }
  | { type: 'applied'; id: number; error?: ErrorData }
  /** Each flow as JSON, made when it was published (as the flow channel does: a record may change after). */
  | { type: 'flows'; flows: string[] }
  | { type: 'stats'; stats: StatSnapshot; flowsDropped: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'stopped' };

export function errorData(err: unknown): ErrorData {
  const e = err as { code?: unknown; message?: unknown };
  return { ...(typeof e?.code === 'string' && e.code.startsWith('MESHCAP_ERR_') ? { code: e.code as MeshcapErrorCode } : {}), message: typeof e?.message === 'string' ? e.message : String(err) };
}
