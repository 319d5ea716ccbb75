// Following a packet through a rule set: every rule it visits in kernel order, the deciding rule, the verdict.
export type { MatchEvaluation, RuleRef, TraceDecider, TraceOutcome, TracePacket, TraceResult, TraceStep, TraceVerdict } from './types.ts';
export { tracePacket, type TraceOptions } from './trace.ts';
export { parseTracePacket, tracePacketSchema } from './packet.ts';
export { readLocalNetwork, parseIpAddrJson, routeOutputInterface, routeGet, type RouteAnswer, type LocalAddress, type LocalNetwork } from './local-network.ts';
export { formatTraceText, describeVerdict, describeDecider, describeRuleRef } from './format.ts';
export { describeMatch, describeAction } from './describe.ts';
