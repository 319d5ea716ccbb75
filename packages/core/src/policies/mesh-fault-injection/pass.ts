import { durationToMs } from '../../model/policies/common.ts';
import type { ActingPolicy, HttpExchangeContext, HttpPass } from '../../proxy/chain.ts';
import type { Applied, ConfSource } from '../../proxy/policies/conf-source.ts';
import { policyHttpPass } from '../../proxy/policies/policy-pass.ts';
import { bandwidthToBitsPerSecond, type MeshFaultInjectionConf } from './schema.ts';

/**
 * MeshFaultInjection on an HTTP inbound. Each entry of `http[]` is one Envoy fault filter, run in
 * order: first its delay, then its abort, then its response bandwidth, each drawn against its own
 * percentage with the engine's injectable `random()` (0 % never draws and never fires, 100 % never
 * draws and always fires). An abort answers locally with its status (verdict `faulted`); a delay
 * holds the request before it goes upstream (the request timeout starts after it, as in Envoy);
 * a bandwidth limit throttles the response body.
 */

export const FAULT_ABORT_REASON = 'fault_abort';
/** Envoy's fault filter answers aborts with this body. */
export const FAULT_ABORT_BODY = 'fault filter abort';

interface Fault {
  delay?: { ms: number; percentage: number; text: string };
  /** `grpcStatus`: a gRPC answer (HTTP 200 with that grpc-status), as Envoy's abort.grpc_status. */
  abort?: { status: number; grpcStatus?: number; percentage: number };
  bandwidth?: { bytesPerSecond: number; percentage: number; text: string };
}

interface Faults {
  policy: ActingPolicy;
  faults: Fault[];
}

function compile(a: Applied<MeshFaultInjectionConf>): Faults | undefined {
  const faults: Fault[] = [];
  for (const f of a.conf.http ?? []) {
    const fault: Fault = {};
    if (f.delay && f.delay.percentage > 0) fault.delay = { ms: durationToMs(f.delay.value), percentage: f.delay.percentage, text: f.delay.value };
    if (f.abort && f.abort.percentage > 0) fault.abort = { status: f.abort.httpStatus ?? 200, grpcStatus: f.abort.grpcStatus, percentage: f.abort.percentage };
    if (f.responseBandwidth && f.responseBandwidth.percentage > 0) {
      fault.bandwidth = { bytesPerSecond: bandwidthToBitsPerSecond(f.responseBandwidth.limit) / 8, percentage: f.responseBandwidth.percentage, text: f.responseBandwidth.limit };
    }
    if (fault.delay || fault.abort || fault.bandwidth) faults.push(fault);
  }
  return faults.length ? { policy: a.policy, faults } : undefined;
}

function fires(percentage: number, ctx: { random(): number }): boolean {
  return percentage >= 100 || ctx.random() * 100 < percentage;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs faults from `from` on; returns a promise only when a delay fires. */
function run(ctx: HttpExchangeContext, f: Faults, from: number): void | Promise<void> {
  for (let i = from; i < f.faults.length; i++) {
    const delay = f.faults[i]!.delay;
    if (delay && fires(delay.percentage, ctx)) {
      ctx.record(f.policy, `delay ${delay.text}`);
      return sleep(delay.ms).then(() => (abortOrThrottle(ctx, f, i) ? undefined : run(ctx, f, i + 1)));
    }
    if (abortOrThrottle(ctx, f, i)) return;
  }
}

/** The abort and bandwidth parts of fault `i`; true when it aborted the request. */
function abortOrThrottle(ctx: HttpExchangeContext, f: Faults, i: number): boolean {
  const { abort, bandwidth } = f.faults[i]!;
  if (abort && fires(abort.percentage, ctx)) {
    if (abort.grpcStatus !== undefined) {
      ctx.record(f.policy, `abort grpc-status ${abort.grpcStatus}`);
      ctx.respond({ status: 200, grpcStatus: abort.grpcStatus, headers: { 'grpc-status': String(abort.grpcStatus) }, body: FAULT_ABORT_BODY, verdict: 'faulted', reason: FAULT_ABORT_REASON });
      return true;
    }
    ctx.record(f.policy, `abort ${abort.status}`);
    ctx.respond({ status: abort.status, body: FAULT_ABORT_BODY, verdict: 'faulted', reason: FAULT_ABORT_REASON });
    return true;
  }
  if (bandwidth && fires(bandwidth.percentage, ctx)) {
    ctx.record(f.policy, `response bandwidth ${bandwidth.text}`);
    ctx.route.responseBytesPerSecond = bandwidth.bytesPerSecond;
  }
  return false;
}

export function faultInjectionPass(source: ConfSource<Applied<MeshFaultInjectionConf>>): HttpPass | undefined {
  return policyHttpPass('MeshFaultInjection', 'fault-injection', source.map(compile), {
    onRequest: (ctx, f) => run(ctx, f, 0),
  });
}
