// The control plane's end of the dataplane channel: the hub and the dataplanes' statuses. The
// protocol and the dataplane's end live in @meshcap/dataplane.
export { DataplaneHub } from './dataplane-hub.ts';
export { DataplaneStatuses, type DataplaneStatus, type DataplaneError } from './dataplane-status.ts';
