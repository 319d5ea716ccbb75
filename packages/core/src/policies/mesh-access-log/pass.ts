import { MeshcapError } from '../../errors.ts';
import type { FlowRecord } from '../../flows/index.ts';
import type { ActingPolicy, HttpPass, TcpPass } from '../../proxy/chain.ts';
import type { Applied, ConfSource } from '../../proxy/policies/conf-source.ts';
import { policyHttpPass, policyTcpPass } from '../../proxy/policies/policy-pass.ts';
import { compileAccessLogFormat, type AccessLogRecord, type CompiledAccessLogFormat } from './format.ts';
import type { MeshAccessLogConf } from './schema.ts';
import type { AccessLogSink, AccessLogSinks } from './sink.ts';

/**
 * MeshAccessLog, inbound (`from`) and outbound (`to`): one line per TCP connection (when it ends)
 * or per HTTP request (when its exchange ends), to each backend of the conf. `File` backends are
 * written (`/dev/stdout` is the dataplane's output); `Tcp` and `OpenTelemetry` backends are not
 * supported yet and are skipped (`policyPasses` lists them in its warnings). The flow records
 * `log <path>` for each line written.
 */

/** Who the traffic is from and to, as `%KUMA_*%` operators print it. */
export interface LogSubject {
  sourceService(flow: FlowRecord): string;
  destinationService(flow: FlowRecord): string;
  sourceAddress(flow: FlowRecord): string;
}

interface Output {
  sink: AccessLogSink;
  format: CompiledAccessLogFormat;
  action: string;
}

export interface Logs {
  policy: ActingPolicy;
  outputs: Output[];
}

/** Compiles the backends of a conf; a format with an unknown operator is a MeshcapError naming the policy and backend. */
export function compileAccessLogs(a: Applied<MeshAccessLogConf>, protocol: 'tcp' | 'http', sinks: AccessLogSinks): Logs | undefined {
  const outputs: Output[] = [];
  (a.conf.backends ?? []).forEach((b, i) => {
    if (b.type !== 'File') return;
    try {
      outputs.push({ sink: sinks.get(b.file.path), format: compileAccessLogFormat(b.file.format, protocol), action: `log ${b.file.path}` });
    } catch (err) {
      const path = `default.backends[${i}].file.format`;
      throw new MeshcapError('MESHCAP_ERR_INVALID_RESOURCE', `${a.policy.type} ${a.policy.name}: ${path}: ${(err as Error).message}`, [{ path, message: (err as Error).message }], { cause: err });
    }
  });
  return outputs.length ? { policy: a.policy, outputs } : undefined;
}

function write(logs: Logs, r: AccessLogRecord, record: (p: ActingPolicy, action: string) => void): void {
  // Recorded first so the policies column of the line includes it.
  for (const o of logs.outputs) record(logs.policy, o.action);
  for (const o of logs.outputs) o.sink.write(o.format.render(r));
}

function subjectFields(subject: LogSubject, flow: FlowRecord): Pick<AccessLogRecord, 'sourceService' | 'destinationService' | 'sourceAddress'> {
  return { sourceService: subject.sourceService(flow), destinationService: subject.destinationService(flow), sourceAddress: subject.sourceAddress(flow) };
}

export function accessLogTcpPass(source: ConfSource<Applied<MeshAccessLogConf>>, subject: LogSubject, sinks: AccessLogSinks): TcpPass | undefined {
  return policyTcpPass('MeshAccessLog', 'access-log', source.map((a) => compileAccessLogs(a, 'tcp', sinks)), {
    onClose(ctx, l) {
      const flow = ctx.flow as FlowRecord;
      write(l, { flow, ...subjectFields(subject, flow) }, (p, action) => ctx.record(p, action));
    },
  });
}

export function accessLogHttpPass(source: ConfSource<Applied<MeshAccessLogConf>>, subject: LogSubject, sinks: AccessLogSinks): HttpPass | undefined {
  return policyHttpPass('MeshAccessLog', 'access-log', source.map((a) => compileAccessLogs(a, 'http', sinks)), {
    onComplete(ctx, l) {
      const flow = ctx.flow as FlowRecord;
      write(l, { flow, request: ctx.request, response: ctx.response, ...subjectFields(subject, flow) }, (p, action) => ctx.record(p, action));
    },
  });
}
