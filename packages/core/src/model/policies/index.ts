// Kuma's targetRef policy kinds. Importing this module registers each kind (each kind's schema.ts calls `policyKind`).
import type { Resource } from '../parse.ts';
import type { PolicyResourceOf } from './common.ts';
import type { MeshAccessLogConf } from '../../policies/mesh-access-log/schema.ts';
import type { MeshCircuitBreakerConf } from '../../policies/mesh-circuit-breaker/schema.ts';
import type { MeshFaultInjectionConf } from '../../policies/mesh-fault-injection/schema.ts';
import type { MeshHealthCheckConf } from '../../policies/mesh-health-check/schema.ts';
import type { MeshRateLimitConf } from '../../policies/mesh-rate-limit/schema.ts';
import type { MeshRetryConf } from '../../policies/mesh-retry/schema.ts';
import type { MeshTimeoutConf } from '../../policies/mesh-timeout/schema.ts';
import type { MeshTrafficPermissionConf } from '../../policies/mesh-traffic-permission/schema.ts';
import type { MeshHTTPRouteConf } from '../../policies/mesh-http-route/schema.ts';
import type { MeshTCPRouteConf } from '../../policies/mesh-tcp-route/schema.ts';
import type { MeshLoadBalancingStrategyConf } from '../../policies/mesh-load-balancing-strategy/schema.ts';

export * from './common.ts';
export * from '../../policies/mesh-access-log/schema.ts';
export * from '../../policies/mesh-circuit-breaker/schema.ts';
export * from '../../policies/mesh-fault-injection/schema.ts';
export * from '../../policies/mesh-health-check/schema.ts';
export * from '../../policies/mesh-rate-limit/schema.ts';
export * from '../../policies/mesh-retry/schema.ts';
export * from '../../policies/mesh-timeout/schema.ts';
export * from '../../policies/mesh-traffic-permission/schema.ts';
export * from '../../policies/mesh-http-route/schema.ts';
export * from '../../policies/mesh-tcp-route/schema.ts';
export * from '../../policies/mesh-load-balancing-strategy/schema.ts';

/** The `default` conf type of each policy type. */
export interface PolicyConfs {
  MeshTrafficPermission: MeshTrafficPermissionConf;
  MeshFaultInjection: MeshFaultInjectionConf;
  MeshTimeout: MeshTimeoutConf;
  MeshRetry: MeshRetryConf;
  MeshRateLimit: MeshRateLimitConf;
  MeshAccessLog: MeshAccessLogConf;
  MeshCircuitBreaker: MeshCircuitBreakerConf;
  MeshHealthCheck: MeshHealthCheckConf;
  MeshHTTPRoute: MeshHTTPRouteConf;
  MeshTCPRoute: MeshTCPRouteConf;
  MeshLoadBalancingStrategy: MeshLoadBalancingStrategyConf;
}
export type PolicyType = keyof PolicyConfs;

/** Which sections each type has: `from` configures inbounds, `to` outbounds (Kuma's sidecar matrix). */
export const POLICY_SECTIONS = {
  MeshTrafficPermission: { from: true, to: false },
  MeshFaultInjection: { from: true, to: false },
  MeshTimeout: { from: true, to: true },
  MeshRetry: { from: false, to: true },
  MeshRateLimit: { from: true, to: false },
  MeshAccessLog: { from: true, to: true },
  MeshCircuitBreaker: { from: true, to: true },
  MeshHealthCheck: { from: false, to: true },
  MeshHTTPRoute: { from: false, to: true },
  MeshTCPRoute: { from: false, to: true },
  MeshLoadBalancingStrategy: { from: false, to: true },
} as const satisfies Record<PolicyType, { from: boolean; to: boolean }>;

export const POLICY_TYPES = Object.keys(POLICY_SECTIONS) as PolicyType[];

export type InboundPolicyType = { [T in PolicyType]: (typeof POLICY_SECTIONS)[T]['from'] extends true ? T : never }[PolicyType];
export type OutboundPolicyType = { [T in PolicyType]: (typeof POLICY_SECTIONS)[T]['to'] extends true ? T : never }[PolicyType];

/** A validated policy of any type meshcap knows. */
export type PolicyResource = { [T in PolicyType]: PolicyResourceOf<T, PolicyConfs[T]> }[PolicyType];

export function isPolicyType(type: string): type is PolicyType {
  return Object.hasOwn(POLICY_SECTIONS, type);
}

export function isPolicyResource(resource: Resource): resource is Resource & PolicyResource {
  return isPolicyType(resource.type);
}

/**
 * The policies Kuma creates with a new mesh unless `skipCreatingInitialPolicies` says otherwise
 * (Kuma docs, "Mesh › Skipping default resource creation"), minus the gateway-only MeshTimeout:
 * meshcap runs sidecars only. The control plane decides whether to apply them.
 */
export function defaultMeshPolicies(mesh: string): PolicyResource[] {
  const backOff = { baseInterval: '25ms', maxInterval: '250ms' };
  return [
    {
      type: 'MeshTimeout',
      mesh,
      name: `mesh-timeout-all-${mesh}`,
      spec: {
        targetRef: { kind: 'Mesh', proxyTypes: ['Sidecar'] },
        to: [{ targetRef: { kind: 'Mesh' }, default: { connectionTimeout: '5s', idleTimeout: '1h', http: { requestTimeout: '15s', streamIdleTimeout: '30m' } } }],
        from: [{ targetRef: { kind: 'Mesh' }, default: { connectionTimeout: '10s', idleTimeout: '2h', http: { requestTimeout: '0s', streamIdleTimeout: '1h', maxStreamDuration: '0s' } } }],
      },
    },
    {
      type: 'MeshRetry',
      mesh,
      name: `mesh-retry-all-${mesh}`,
      spec: {
        targetRef: { kind: 'Mesh' },
        to: [
          {
            targetRef: { kind: 'Mesh' },
            default: {
              tcp: { maxConnectAttempt: 5 },
              http: { numRetries: 5, perTryTimeout: '16s', backOff },
              grpc: { numRetries: 5, perTryTimeout: '16s', backOff },
            },
          },
        ],
      },
    },
    {
      type: 'MeshCircuitBreaker',
      mesh,
      name: `mesh-circuit-breaker-all-${mesh}`,
      spec: {
        targetRef: { kind: 'Mesh' },
        to: [{ targetRef: { kind: 'Mesh' }, default: { connectionLimits: { maxConnections: 1024, maxPendingRequests: 1024, maxRetries: 3, maxRequests: 1024 } } }],
      },
    },
  ];
}
