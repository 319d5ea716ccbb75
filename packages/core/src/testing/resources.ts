import { stringify } from 'yaml';

/**
 * Resource fixtures for tests: the Dataplane and policy manifests many tests apply, built from the
 * few things a test varies (names, addresses, ports, tags) so each test still shows what matters to
 * it and the manifest's shape lives in one place. Output is Kuma YAML text, as a user would apply
 * it: tests feed it to `parseResources`, the API or the CLI exactly as they fed their own copies.
 */

export interface InboundFixture {
  port: number;
  servicePort?: number;
  serviceAddress?: string;
  name?: string;
  /** `kuma.io/service`; without it, `tags` must carry it. */
  service?: string;
  /** `kuma.io/protocol`; omitted when not given (the mesh's default, tcp). */
  protocol?: string;
  /** Tags after service and protocol, in this order. */
  tags?: Record<string, string>;
}

export interface OutboundFixture {
  port: number;
  address?: string;
  /** `kuma.io/service` of the service called. */
  service: string;
}

export interface DataplaneFixture {
  /** Omitted from the manifest when not given (the resource then lands in mesh `default`). */
  mesh?: string;
  name: string;
  address: string;
  inbound?: InboundFixture[];
  outbound?: OutboundFixture[];
  transparentProxying?: {
    redirectPortInbound?: number;
    redirectPortOutbound?: number;
    redirectPortInboundV6?: number;
    inboundMode?: 'redirect' | 'tproxy';
    reachableServices?: string[];
  };
}

/** A Dataplane manifest (one YAML document). */
export function dataplaneYaml(dp: DataplaneFixture): string {
  const networking: Record<string, unknown> = { address: dp.address };
  if (dp.inbound) {
    networking['inbound'] = dp.inbound.map((i) => ({
      port: i.port,
      ...(i.servicePort !== undefined && { servicePort: i.servicePort }),
      ...(i.serviceAddress !== undefined && { serviceAddress: i.serviceAddress }),
      ...(i.name !== undefined && { name: i.name }),
      tags: { ...(i.service !== undefined && { 'kuma.io/service': i.service }), ...(i.protocol !== undefined && { 'kuma.io/protocol': i.protocol }), ...i.tags },
    }));
  }
  if (dp.outbound) {
    networking['outbound'] = dp.outbound.map((o) => ({ port: o.port, ...(o.address !== undefined && { address: o.address }), tags: { 'kuma.io/service': o.service } }));
  }
  if (dp.transparentProxying) networking['transparentProxying'] = dp.transparentProxying;
  return stringify({ type: 'Dataplane', ...(dp.mesh !== undefined && { mesh: dp.mesh }), name: dp.name, networking });
}

/** Several manifests as one multi-document YAML text, in order. */
export function resourcesYaml(...documents: string[]): string {
  return documents.map((d) => (d.endsWith('\n') ? d : `${d}\n`)).join('---\n');
}

/**
 * The Kuma docs' "life without transparent proxying" Dataplane, exactly as they print it: indented
 * two spaces, with trailing blanks after some keys (loading it as written is itself a test).
 */
export const SEED_DATAPLANE_YAML = `  type: Dataplane
  mesh: default
  name: demo-app
  networking: 
    address: 10.119.249.39 
    inbound: 
      - port: 15000
        servicePort: 5000
        serviceAddress: 127.0.0.1
        tags: 
          kuma.io/service: app
          kuma.io/protocol: http
`;

/** A MeshFaultInjection delaying `percentage` % of HTTP requests to `service` by `delay`, from anyone in the mesh. */
export function faultDelayYaml(p: { mesh?: string; name: string; service: string; delay: string; percentage: number }): string {
  return stringify({
    type: 'MeshFaultInjection',
    mesh: p.mesh ?? 'default',
    name: p.name,
    spec: { targetRef: { kind: 'MeshService', name: p.service }, from: [{ targetRef: { kind: 'Mesh' }, default: { http: [{ delay: { value: p.delay, percentage: p.percentage } }] } }] },
  });
}

/** A MeshRetry: every dataplane retries HTTP requests to `service` up to `numRetries` times. */
export function httpRetryYaml(p: { mesh?: string; name: string; service: string; numRetries: number }): string {
  return stringify({
    type: 'MeshRetry',
    mesh: p.mesh ?? 'default',
    name: p.name,
    spec: { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'MeshService', name: p.service }, default: { http: { numRetries: p.numRetries } } }] },
  });
}

/** A MeshTrafficPermission that allows everyone in the mesh to reach `service` (every inbound when no service is given). */
export function allowAllPermissionYaml(p: { mesh?: string; name: string; service?: string }): string {
  return stringify({
    type: 'MeshTrafficPermission',
    name: p.name,
    mesh: p.mesh ?? 'default',
    spec: { targetRef: p.service === undefined ? { kind: 'Mesh' } : { kind: 'MeshService', name: p.service }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] },
  });
}
