// The dataplane channel: protocol, the control plane's hub, and the dataplane's client.
export { CHANNEL_PATH, CHANNEL_PROTOCOL, REQUEST_KINDS, type RequestKind } from './protocol.ts';
export { DataplaneHub } from './dataplane-hub.ts';
export { DataplaneStatuses, type DataplaneStatus, type DataplaneError } from './dataplane-status.ts';
export { connectControlPlane, parseControlPlaneUrl, type ChannelEngine, type ChannelStats, type ConnectOptions, type ControlPlaneConnection } from './client.ts';
export { engineFromHandle, readRulesForTrace, type EngineAdapterOptions } from './engine-adapter.ts';
export { attachToControlPlane, controlPlaneCa, xdsTargetOf, type DataplaneConnection, dataplaneChannelFlags, dataplaneChannelHelp, readDataplaneToken, DATAPLANE_TOKEN_ENV } from './dp-control-plane.ts';
