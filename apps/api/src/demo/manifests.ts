import { stringify } from 'yaml';
import type { Topology, WorkloadName } from './topology.ts';

/** Ports of the demo workloads (the client serves its own counts, so it is a mesh service too). */
export const FRONTEND_PORT = 5000;
export const BACKEND_PORT = 8080;
export const CLIENT_PORT = 3000;
export const MESH = 'default';

/**
 * How each dataplane is reached in explicit (non-transparent) mode, the seed's "life without
 * transparent proxying": every address is a loopback one, the dataplane listens on `inboundPort`
 * and forwards to the application on `servicePort`, and applications call their dependencies on
 * the outbound ports of their own dataplane.
 */
export interface ExplicitPorts {
  clientApp: number;
  clientInbound: number;
  frontendApp: number;
  frontendInbound: number;
  backendApp: number;
  backendInbound: number;
  /** The frontend's outbound listener for the backend service. */
  frontendToBackend: number;
  /** The client's outbound listeners. */
  clientToFrontend: number;
  clientToBackend: number;
  admin: Record<WorkloadName, number>;
}

interface DataplaneDoc {
  type: 'Dataplane';
  mesh: string;
  name: string;
  networking: Record<string, unknown>;
}

function httpTags(service: string): Record<string, string> {
  return { 'kuma.io/service': service, 'kuma.io/protocol': 'http' };
}

/**
 * A Kuma Dataplane for a workload with transparent proxying: the inbound the app serves at its own
 * address, the redirect ports the capture rules use, and the outbounds its app calls (at the other
 * workloads' own addresses, as Kuma lists reachable services): their connections are captured on
 * 15001 and handed to the HTTP listener of the service they were going to. Anything else a workload
 * dials goes through the outbound passthrough.
 */
export function transparentDataplane(name: WorkloadName, t: Topology): DataplaneDoc {
  const { frontend, backend } = t.workloads;
  const self = t.workloads[name];
  const service = (svc: string, address: string, port: number) => ({ address, port, tags: { 'kuma.io/service': svc } });
  const port = name === 'frontend' ? FRONTEND_PORT : name === 'backend' ? BACKEND_PORT : CLIENT_PORT;
  const outbound =
    name === 'frontend'
      ? [service('backend', backend.ipv4, BACKEND_PORT)]
      : name === 'client'
        ? [service('frontend', frontend.ipv4, FRONTEND_PORT), service('frontend', frontend.ipv6, FRONTEND_PORT), service('backend', backend.ipv4, BACKEND_PORT)]
        : [];
  return {
    type: 'Dataplane',
    mesh: MESH,
    name,
    networking: {
      address: self.ipv4,
      inbound: [{ port, tags: httpTags(name) }],
      outbound,
      transparentProxying: { redirectPortInbound: 15006, redirectPortOutbound: 15001 },
    },
  };
}

/**
 * Each dataplane's own loopback address in explicit mode (all of 127.0.0.0/8 is local on Linux, no
 * setup needed): distinct addresses keep the dataplanes apart. The applications stay on 127.0.0.1.
 */
export const EXPLICIT_ADDRESS: Record<WorkloadName, string> = { frontend: '127.0.0.2', backend: '127.0.0.3', client: '127.0.0.4' };

/** The same workload without transparent proxying, on loopback. */
export function explicitDataplane(name: WorkloadName, ports: ExplicitPorts): DataplaneDoc {
  const appAddress = '127.0.0.1';
  const networking: Record<string, unknown> = { address: EXPLICIT_ADDRESS[name] };
  if (name === 'frontend') {
    networking.inbound = [{ port: ports.frontendInbound, servicePort: ports.frontendApp, serviceAddress: appAddress, tags: httpTags('frontend') }];
    networking.outbound = [{ port: ports.frontendToBackend, tags: { 'kuma.io/service': 'backend' } }];
  } else if (name === 'backend') {
    networking.inbound = [{ port: ports.backendInbound, servicePort: ports.backendApp, serviceAddress: appAddress, tags: httpTags('backend') }];
  } else {
    networking.inbound = [{ port: ports.clientInbound, servicePort: ports.clientApp, serviceAddress: appAddress, tags: httpTags('client') }];
    networking.outbound = [
      { port: ports.clientToFrontend, tags: { 'kuma.io/service': 'frontend' } },
      { port: ports.clientToBackend, tags: { 'kuma.io/service': 'backend' } },
    ];
  }
  networking.admin = { port: ports.admin[name] };
  return { type: 'Dataplane', mesh: MESH, name, networking };
}

export function toYaml(doc: DataplaneDoc): string {
  return stringify(doc);
}
