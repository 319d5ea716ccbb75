// The demo mesh (`meshcap demo`) as a library: the CLI and the e2e suite start it the same way.
export { startDemo, demoPolicyFiles, transparentSupport, type DemoDataplane, type DemoHandle, type DemoMode, type DemoOptions } from './start-demo.ts';
export { DEMO_PREFIX, DEMO_ID_ENV, demoIdFor, demoResidue, sweepDeadDemos, type DemoResidue } from './leftovers.ts';
export { DEMO_IPV4_SUBNET, DEMO_IPV6_SUBNET, WORKLOADS, type WorkloadName } from './topology.ts';
export { BACKEND_PORT, FRONTEND_PORT, MESH } from './manifests.ts';
export { ControlPlaneClient } from './control-plane-client.ts';
