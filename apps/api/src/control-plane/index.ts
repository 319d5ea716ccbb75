export { startControlPlane, type ControlPlaneOptions, type RunningControlPlane } from './start.ts';
export { parseListenAddress, DEFAULT_LISTEN } from './listen-address.ts';
