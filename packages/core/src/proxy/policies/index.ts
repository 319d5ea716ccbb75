// Mesh policies enforced in the dataplane: the passes a compiled `DataplanePolicies` puts into each
// listener's chains (traffic permission, rate limit, fault injection, timeouts, retries, access log).
export { policyPasses, serviceDirectoryOf, type DataplanePolicyPasses, type PolicyPassOptions } from './policy-passes.ts';
export { AccessLogSinks, processAccessLogSinks, type AccessLogSink, type AccessLogSinkStats } from '../../policies/mesh-access-log/sink.ts';
export { compileAccessLogFormat, responseFlags, type AccessLogRecord, type CompiledAccessLogFormat } from '../../policies/mesh-access-log/format.ts';
export { TokenBucket } from '../../policies/mesh-rate-limit/pass.ts';
