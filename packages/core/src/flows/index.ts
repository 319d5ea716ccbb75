export type { CaptureKind, FlowAddress, FlowDirection, FlowGrpc, FlowHttp, FlowPolicyAction, FlowProtocol, FlowRecord, FlowTimings, FlowTls, FlowVerdict } from './flow.ts';
export { FlowIds, FlowLog, type FlowLogStats, type FlowPage, type FlowSubscriber } from './flow-log.ts';
