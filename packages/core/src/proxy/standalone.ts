import { MeshcapError } from '../errors.ts';
import { parseResources, type Dataplane } from '../model/index.ts';
import { serviceDirectory, type ServiceDirectory } from './config.ts';
import { DEFAULT_DRAIN_MS, startDataplane, type DataplaneHandle, type DataplaneOptions } from './engine.ts';

export interface DataplaneFile {
  dataplane: Dataplane;
  /** Services from every Dataplane in the file (the one to run and its peers), for outbound listeners. */
  services: ServiceDirectory;
}

/**
 * Reads a dataplane file: one Kuma `Dataplane` (the seed's example loads as written), or several
 * documents where `name` picks the one to run and the others say where the services it calls
 * live (what a control plane would otherwise tell it).
 */
export function loadDataplaneFile(text: string, source: string, name?: string): DataplaneFile {
  const dataplanes = parseResources(text, { source }).filter((r) => r.type === 'Dataplane') as unknown as Dataplane[];
  if (dataplanes.length === 0) throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `${source}: no Dataplane resource in the file`);
  let dataplane: Dataplane | undefined;
  if (name !== undefined) {
    dataplane = dataplanes.find((d) => d.name === name);
    if (!dataplane) throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `${source}: no Dataplane named "${name}" (found: ${dataplanes.map((d) => d.name).join(', ')})`);
  } else if (dataplanes.length === 1) {
    dataplane = dataplanes[0]!;
  } else {
    throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `${source}: ${dataplanes.length} Dataplanes (${dataplanes.map((d) => d.name).join(', ')}); say which one to run with --name`);
  }
  return { dataplane, services: serviceDirectory(dataplanes) };
}

export interface RunningDataplane {
  handle: DataplaneHandle;
  /** Resolves with the exit code once a SIGTERM/SIGINT drain has finished. */
  exited: Promise<number>;
}

/**
 * Starts a dataplane for a process: SIGTERM and SIGINT drain it (stop accepting, let open
 * connections finish up to `drainMs`) and then resolve `exited` with 0.
 */
export async function runDataplaneProcess(
  options: DataplaneOptions & {
    drainMs?: number;
    /**
     * Builds the handle the process runs on from the engine's (dp --workers: the engine's with
     * its workers); that one is what signals drain. If it throws, the engine is stopped.
     */
    around?: (engine: DataplaneHandle) => Promise<DataplaneHandle>;
  },
): Promise<RunningDataplane> {
  const engine = await startDataplane(options);
  let handle = engine;
  try {
    if (options.around) handle = await options.around(engine);
  } catch (err) {
    await engine.stop({ drainMs: 0 });
    throw err;
  }
  // Last resort: a bug must not take every connection of the workload down with the process.
  const log = options.log ?? ((_level, message) => console.error(message));
  process.on('uncaughtException', (err) => log('error', `internal error (the dataplane keeps running): ${err.stack ?? err.message}`));
  process.on('unhandledRejection', (err) => log('error', `internal error (the dataplane keeps running): ${(err as Error)?.stack ?? String(err)}`));
  const exited = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      options.log?.('info', `${signal}: draining (up to ${options.drainMs ?? DEFAULT_DRAIN_MS} ms)`);
      handle.stop({ drainMs: options.drainMs }).then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  return { handle, exited };
}
