import { stringify } from 'yaml';
import type { WorkloadName } from './topology.ts';

/** Ports of the demo workloads. */
export const FRONTEND_PORT = 5000;
export const BACKEND_PORT = 8080;
export const MESH = 'default';

/**
 * How each dataplane is reached in explicit (non-transparent) mode, the seed's "life without
 * transparent proxying": every address is a loopback one, the dataplane listens on `inboundPort`
 * and forwards to the application on `servicePort`, and applications call their dependencies on
 * the outbound ports of their own dataplane.
 */
export interface ExplicitPorts {
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
 * A Kuma Dataplane for a workload with transparent proxying: it declares the inbound the app
 * serves at its own address (none for the client) and the redirect ports the capture rules use;
 * outbound traffic needs no declaration, the rules capture it all.
 */
export function transparentDataplane(name: WorkloadName, address: string): DataplaneDoc {
  const inbound =
    name === 'frontend' ? [{ port: FRONTEND_PORT, tags: httpTags('frontend') }] : name === 'backend' ? [{ port: BACKEND_PORT, tags: httpTags('backend') }] : [];
  return {
    type: 'Dataplane',
    mesh: MESH,
    name,
    networking: {
      address,
      inbound,
      transparentProxying: { redirectPortInbound: 15006, redirectPortOutbound: 15001 },
    },
  };
}

/** The same workload without transparent proxying, on loopback. */
export function explicitDataplane(name: WorkloadName, ports: ExplicitPorts): DataplaneDoc {
  const address = '127.0.0.1';
  const networking: Record<string, unknown> = { address };
  if (name === 'frontend') {
    networking.inbound = [{ port: ports.frontendInbound, servicePort: ports.frontendApp, serviceAddress: address, tags: httpTags('frontend') }];
    networking.outbound = [{ port: ports.frontendToBackend, tags: { 'kuma.io/service': 'backend' } }];
  } else if (name === 'backend') {
    networking.inbound = [{ port: ports.backendInbound, servicePort: ports.backendApp, serviceAddress: address, tags: httpTags('backend') }];
  } else {
    networking.inbound = [];
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
