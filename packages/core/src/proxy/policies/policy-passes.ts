import type { FlowRecord } from '../../flows/index.ts';
import { canonicalAddress } from '../../model/index.ts';
import type { OutboundPolicyType, PolicyConfs } from '../../model/policies/index.ts';
import { normalizeAddress, type DataplanePolicies, type InboundPolicies, type OutboundPolicies, type OutboundPolicy } from '../../policy/index.ts';
import type { HttpPass, ListenerPasses, PolicyPasses, TcpPass } from '../chain.ts';
import { serviceProtocol, type ListenerConfig, type ServiceDirectory, type ServiceInfo } from '../config.ts';
import type { StatValue } from '../stats.ts';
import { accessLogHttpPass, accessLogTcpPass, type LogSubject } from '../../policies/mesh-access-log/pass.ts';
import { processAccessLogSinks, type AccessLogSinks } from '../../policies/mesh-access-log/sink.ts';
import { actingPolicy, destinationKey, destinationSource, fixedSource, inboundSource, type Applied, type ConfSource } from './conf-source.ts';
import { faultInjectionPass } from '../../policies/mesh-fault-injection/pass.ts';
import { rateLimitHttpPass, rateLimitTcpPass } from '../../policies/mesh-rate-limit/pass.ts';
import { retryPass } from '../../policies/mesh-retry/pass.ts';
import { timeoutHttpPass, timeoutTcpPass } from '../../policies/mesh-timeout/pass.ts';
import { permissionSource, trafficPermissionHttpPass, trafficPermissionTcpPass } from '../../policies/mesh-traffic-permission/pass.ts';

/**
 * The passes a dataplane's effective policies put into each listener's chains (the engine's
 * `PolicyPasses`): give the result to `startDataplane({ policies })` or
 * `handle.updateConfig(version, dataplane, policies)`.
 *
 * - A declared inbound (`inbound:198.18.0.10:8080`) gets its inbound's `from` policies, chosen per
 *   client by the client's identity (the dataplane owning its source address).
 * - A declared outbound gets the `to` policies of its service; the outbound passthrough gets, per
 *   connection, those of the service whose endpoint is the original destination (none for a
 *   destination outside the mesh).
 * - The inbound passthrough gets none (Kuma applies no inbound policy to undeclared ports).
 * HTTP-only settings (faults, request timeouts, retries, request rates) apply where the listener
 * speaks HTTP; the passthrough listeners relay TCP, so only connection-level settings reach them.
 */

export interface PolicyPassOptions {
  /** Access log files; default: the process's shared set (a file is opened once across versions). */
  accessLogs?: AccessLogSinks;
  /** Clock of the rate-limit token buckets, in milliseconds; default performance.now. */
  now?: () => number;
}

export interface DataplanePolicyPasses extends PolicyPasses {
  readonly policies: DataplanePolicies;
  /** What the policies ask for that this proxy does not do, one sentence each. */
  readonly warnings: readonly string[];
  stats(): StatValue[];
}

function outboundApplied<T extends OutboundPolicyType>(ob: OutboundPolicies, type: T): Applied<PolicyConfs[T]> | undefined {
  const p = ob.policies[type] as OutboundPolicy<PolicyConfs[T]> | undefined;
  if (!p?.conf) return undefined;
  const policy = actingPolicy(p.origins);
  return policy ? { conf: p.conf, policy } : undefined;
}

/**
 * Where the services this dataplane reaches live, from its compiled outbounds: what the engine
 * needs (as `services`) to give declared outbound listeners their endpoints.
 */
export function serviceDirectoryOf(policies: DataplanePolicies): ServiceDirectory {
  const out = new Map<string, ServiceInfo>();
  for (const ob of policies.outbounds) {
    out.set(ob.service, { endpoints: ob.endpoints.map((e) => ({ address: e.address, port: e.port })), protocol: serviceProtocol(ob.protocol), ...(ob.vip ? { vip: ob.vip } : {}) });
  }
  return out;
}

/** Unsupported parts of the policies, said once per policy. */
function unsupported(policies: DataplanePolicies): string[] {
  const out = new Set<string>();
  const confs: Array<Applied<PolicyConfs[keyof PolicyConfs]>> = [];
  for (const ib of policies.inbounds) {
    for (const p of Object.values(ib.policies)) {
      for (const r of p.rules) {
        const policy = actingPolicy(r.origins);
        if (policy) confs.push({ conf: r.conf, policy });
      }
    }
  }
  for (const ob of policies.outbounds) {
    for (const type of Object.keys(ob.policies) as OutboundPolicyType[]) {
      const a = outboundApplied(ob, type);
      if (a) confs.push(a);
    }
  }
  for (const { conf, policy } of confs) {
    const name = `${policy.type} ${policy.name}`;
    if (policy.type === 'MeshAccessLog' && 'backends' in conf) {
      for (const b of conf.backends ?? []) if (b.type !== 'File') out.add(`${name}: ${b.type} backends are not supported; only File backends (and /dev/stdout) are written`);
    }
    if (policy.type === 'MeshRetry' && ('tcp' in conf || 'grpc' in conf) && (conf.tcp || conf.grpc)) out.add(`${name}: only the http section is enforced (tcp and grpc are not)`);
  }
  return [...out];
}

export function policyPasses(policies: DataplanePolicies, options: PolicyPassOptions = {}): DataplanePolicyPasses {
  const sinks = options.accessLogs ?? processAccessLogSinks;
  const now = options.now;
  const identities = policies.identities;
  const inboundByName = new Map<string, InboundPolicies>();
  const inboundByAddress = new Map<string, InboundPolicies>();
  for (const ib of policies.inbounds) {
    inboundByName.set(ib.listener, ib);
    inboundByAddress.set(destinationKey(ib.address, ib.port), ib);
  }
  // Outbound passthrough: the service of a destination, by its endpoints.
  const outboundByDestination = new Map<string, OutboundPolicies>();
  // %KUMA_SOURCE_SERVICE% of an inbound client: the service whose endpoint (or identity) has its address.
  const serviceByAddress = new Map<string, string>();
  for (const ob of policies.outbounds) {
    for (const e of ob.endpoints) {
      const key = destinationKey(e.address, e.port);
      if (!outboundByDestination.has(key)) outboundByDestination.set(key, ob);
      const address = canonicalAddress(e.address);
      if (!serviceByAddress.has(address)) serviceByAddress.set(address, ob.service);
    }
  }
  for (const id of identities) {
    const services = id.tags['kuma.io/service'];
    if (services?.length && !serviceByAddress.has(id.address)) serviceByAddress.set(id.address, services.join(','));
  }
  const ownService = policies.inbounds[0]?.service ?? 'unknown';
  const ownAddress = policies.resource.networking.address;
  const sourceServiceOf = (flow: FlowRecord): string => serviceByAddress.get(normalizeAddress(flow.client.address)) ?? 'unknown';

  const inboundPasses = (l: ListenerConfig, ib: InboundPolicies): Partial<ListenerPasses> => {
    const p = ib.policies;
    const http = l.protocol === 'http';
    const subject: LogSubject = { sourceService: sourceServiceOf, destinationService: () => ib.service, sourceAddress: (f) => normalizeAddress(f.client.address) };
    const permission = permissionSource(p.MeshTrafficPermission, identities);
    const rateLimit = inboundSource(p.MeshRateLimit, identities);
    const timeout = inboundSource(p.MeshTimeout, identities);
    const accessLog = inboundSource(p.MeshAccessLog, identities);
    return {
      tcp: present<TcpPass>([http ? undefined : trafficPermissionTcpPass(permission), rateLimitTcpPass(rateLimit, now), timeoutTcpPass(timeout), http ? undefined : accessLogTcpPass(accessLog, subject, sinks)]),
      http: http
        ? present<HttpPass>([
            trafficPermissionHttpPass(permission),
            rateLimitHttpPass(rateLimit, l.name, now),
            faultInjectionPass(inboundSource(p.MeshFaultInjection, identities)),
            timeoutHttpPass(timeout),
            accessLogHttpPass(accessLog, subject, sinks),
          ])
        : [],
    };
  };

  const outboundPasses = (l: ListenerConfig, declared: OutboundPolicies | undefined): Partial<ListenerPasses> => {
    const http = l.protocol === 'http';
    const source = <T extends OutboundPolicyType>(type: T): ConfSource<Applied<PolicyConfs[T]>> =>
      declared ? fixedSource(outboundApplied(declared, type)) : destinationSource(outboundByDestination).map((ob) => outboundApplied(ob, type));
    const subject: LogSubject = {
      sourceService: () => ownService,
      destinationService: declared ? () => declared.service : (f) => outboundByDestination.get(destinationKey(f.destination.address, f.destination.port))?.service ?? 'external',
      sourceAddress: () => ownAddress,
    };
    const timeout = source('MeshTimeout');
    const accessLog = source('MeshAccessLog');
    return {
      tcp: present<TcpPass>([timeoutTcpPass(timeout), http ? undefined : accessLogTcpPass(accessLog, subject, sinks)]),
      http: http ? present<HttpPass>([timeoutHttpPass(timeout), retryPass(source('MeshRetry')), accessLogHttpPass(accessLog, subject, sinks)]) : [],
    };
  };

  return {
    policies,
    warnings: unsupported(policies),
    stats: () => sinks.statValues(),
    forListener(l: ListenerConfig): Partial<ListenerPasses> {
      if (l.direction === 'inbound') {
        if (l.useOriginalDst) return {};
        const ib = inboundByName.get(l.name) ?? inboundByAddress.get(destinationKey(l.address, l.port));
        return ib ? inboundPasses(l, ib) : {};
      }
      if (l.useOriginalDst) return outboundPasses(l, undefined);
      const declared = policies.outbounds.find((o) => o.listener === l.name) ?? (l.service === undefined ? undefined : policies.outbounds.find((o) => o.service === l.service));
      return declared ? outboundPasses(l, declared) : {};
    },
  };
}

function present<P>(passes: Array<P | undefined>): P[] {
  return passes.filter((p): p is P => p !== undefined);
}
