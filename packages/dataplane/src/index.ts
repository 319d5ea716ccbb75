// @meshcap/dataplane: the dataplane process (`meshcap dp`) and everything it needs beside the
// engine: the channel to the control plane (client, protocol), the engine adapter, the proxy-user
// runtime, and the CLI runner every `meshcap` command uses. The arrows: api → dataplane → core → native.
export { dpMain } from './main.ts';
export { dpCommand } from './dp-command.ts';
export { bundleDataplane, buildDataplane, BUILT_ENTRY, installDpRuntime, DEFAULT_RUNTIME_ROOT, RUNTIME_DIR_ENV, type DataplaneBundle, type DpRuntime } from './dp-runtime.ts';

// The command runner (one for every `meshcap` verb: the dataplane's here, the control plane's in apps/api).
export { CliUsageError, type CliCommand, type CliIO } from './cli/command.ts';
export { defaultIO, runCommands, usage } from './cli/run.ts';
export { asUsageError, parseCommandFlags, parseFlags } from './cli/flags.ts';

// The dataplane channel: its protocol (the control plane's hub speaks the other end), and the dataplane's side.
export { CHANNEL_PATH, CHANNEL_PROTOCOL, DEFAULT_HEARTBEAT_MS, MAX_LINE_BYTES, REQUEST_KINDS, cpMessage, dpMessage, flowRecordSchema, type CpMessage, type DpMessage, type RequestKind } from './channel/protocol.ts';
export { checkFlowRecord, flowRecordIssue } from './channel/flow-record-check.ts';
export { LineChannel } from './channel/line-channel.ts';
export { isLoopbackHost } from './channel/loopback.ts';
export { connectControlPlane, parseControlPlaneUrl, type ChannelEngine, type ChannelStats, type ConnectOptions, type ControlPlaneConnection } from './channel/client.ts';
export { engineFromHandle, readRulesForTrace, type EngineAdapterOptions } from './channel/engine-adapter.ts';
export { attachToControlPlane, controlPlaneCa, xdsTargetOf, type DataplaneConnection, dataplaneChannelFlags, dataplaneChannelHelp, readDataplaneToken, DATAPLANE_TOKEN_ENV } from './channel/dp-control-plane.ts';
