import type { TestProject } from 'vitest/node';
import { startDemo, type DemoHandle } from '../../apps/api/src/demo/index.ts';
import { inCI, netnsSupport } from '@meshcap/testkit';
import type { DemoInfo } from './harness.ts';

/**
 * Vitest global setup of the e2e suite: one demo mesh (transparent mode, in network namespaces)
 * for every spec, started before the first and stopped after the last — and the run fails if the
 * stop leaves any namespace or process behind. Without root the suite is skipped with a message
 * (under CI=true it fails instead): the specs need real capture.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const support = netnsSupport();
  if (!support.ok) {
    if (inCI()) throw new Error(`e2e: the suite must run in CI, but ${support.reason}`);
    console.warn(`[meshcap e2e] skipping the browser suite: ${support.reason}`);
    project.provide('demo', null);
    return async () => {};
  }
  const started = Date.now();
  let demo: DemoHandle;
  try {
    demo = await startDemo({ mode: 'transparent', apiPort: 0, rate: 8, directEvery: 10, log: (line) => console.log(`[demo] ${line}`) });
  } catch (err) {
    throw new Error(`e2e: the demo did not start: ${(err as Error).message}`, { cause: err });
  }
  console.log(`[meshcap e2e] demo ${demo.id} up in ${Date.now() - started} ms at ${demo.urls.dashboard}`);
  const info: DemoInfo = {
    id: demo.id,
    api: demo.urls.api,
    dashboard: demo.urls.dashboard,
    token: demo.token,
    socket: demo.socket,
    backend: demo.backend,
    dataplanes: demo.dataplanes.map((d) => ({ name: d.name, mesh: d.mesh, address: d.address, inboundListener: d.inboundListener ?? null, netns: d.netns ?? null })),
  };
  project.provide('demo', info);
  return async () => {
    const left = await demo.stop();
    const residue = [...left.namespaces, ...left.processes.map((p) => `pid ${p}`), ...left.stateDirs];
    if (residue.length) throw new Error(`e2e: the demo left ${residue.join(', ')} behind`);
    console.log(`[meshcap e2e] demo ${demo.id} stopped; nothing left behind`);
  };
}
