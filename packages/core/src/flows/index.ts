export type { CaptureKind, FlowAddress, FlowDirection, FlowGrpc, FlowHttp, FlowPolicyAction, FlowProtocol, FlowRecord, FlowTimings, FlowTls, FlowVerdict } from './flow.ts';
export { FlowIds, FlowLog, type FlowLogStats, type FlowPage, type FlowSubscriber } from './flow-log.ts';
export { FLOW_REASONS, flowReason, flowReasonCode, isFlowReason, type FlowReason, type FlowReasonCode } from './reasons.ts';
