export { Lab, Host, NETNS_PREFIX, listNamespaces, sweepStaleNamespaces, deleteNamespaceSync } from './lab.ts';
export type { Link, LinkOptions } from './lab.ts';
export { runCommand, CommandError, HostProcess } from './exec.ts';
export type { RunOptions, RunResult } from './exec.ts';
export { netnsSupport, inCI } from './privilege.ts';
export type { NetnsSupport } from './privilege.ts';
export { describeNetns } from './suite.ts';
export { agentPath } from './agents.ts';
export { freePort } from './free-port.ts';
