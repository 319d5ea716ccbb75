export type { CaptureKind, FlowAddress, FlowDirection, FlowGrpc, FlowHttp, FlowPolicyAction, FlowProtocol, FlowRecord, FlowTimings, FlowVerdict } from './flow.ts';
export { FlowIds, FlowLog, type FlowLogStats, type FlowPage, type FlowSubscriber } from './flow-log.ts';
