import type { FlowHttp, FlowRecord } from '../../flows/index.ts';
import { newRequestId } from '../chain.ts';
import { newFlow, type Accepted, type EngineContext } from '../context.ts';
import type { RequestHead } from './head.ts';

/** The flow record of one request, with its HTTP part (the request id the client sent, or a new one). */
export function requestFlow(ctx: EngineContext, a: Accepted, request: RequestHead): { flow: FlowRecord; http: FlowHttp } {
  const flow = newFlow(ctx, a, 'http', ctx.ids.next(), Date.now());
  const http: FlowHttp = {
    method: request.method,
    authority: request.authority,
    path: request.path,
    status: undefined,
    requestBytes: 0,
    responseBytes: 0,
    requestId: request.requestId ?? newRequestId(),
    attempts: 0,
  };
  flow.http = http;
  return { flow, http };
}
