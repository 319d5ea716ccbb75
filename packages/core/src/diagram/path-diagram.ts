import { CHAIN_INBOUND_REDIRECT, CHAIN_INBOUND_TPROXY, CHAIN_OUTBOUND_REDIRECT } from '../capture/index.ts';
import { DEFAULT_REDIRECT_PORT_INBOUND, DEFAULT_REDIRECT_PORT_OUTBOUND, inboundListenerName, isTransparent } from '../model/dataplane.ts';
import { inboundClusterName } from '../proxy/config.ts';
import type { DataplanePolicies, InboundPolicies, OutboundPolicies, PolicyOrigin } from '../policy/types.ts';
import { escapeText, hostPort, lines, participantId, summarizeConf } from './mermaid-text.ts';

export type PathDirection = 'inbound' | 'outbound';

/** The seed's shading for what happens inside the workload's host. */
const HOST_RECT = 'rect rgb(233,233,233)';

function originLabel(o: PolicyOrigin): string {
  return `${o.name}${o.enabled ? '' : ' (off for this dataplane)'}`;
}

/** One line per policy type: `MeshTimeout: a, b → {"http":…}` (conf of the enabled ones, merged). */
function inboundPolicyLines(ib: InboundPolicies): string[] {
  const out: string[] = [];
  for (const [type, policy] of Object.entries(ib.policies)) {
    if (!policy) continue;
    const names = policy.origins.map(originLabel);
    const unique = [...new Set(names)].join(', ');
    if (policy.rules.length === 0) {
      out.push(`${type}: ${unique} → not in effect`);
      continue;
    }
    for (const rule of policy.rules) {
      const who = rule.subset.length ? ` for clients ${rule.subset.map((t) => `${t.not ? '!' : ''}${t.key}=${t.value}`).join(',')}` : '';
      out.push(`${type}: ${unique}${who} → ${summarizeConf(rule.conf)}`);
    }
  }
  return out;
}

function outboundPolicyLines(ob: OutboundPolicies): string[] {
  const out: string[] = [];
  for (const [type, policy] of Object.entries(ob.policies)) {
    if (!policy) continue;
    const names = [...new Set(policy.origins.map(originLabel))].join(', ');
    out.push(`${type}: ${names} → ${policy.conf === undefined ? 'not in effect' : summarizeConf(policy.conf)}`);
  }
  return out;
}

function header(): string[] {
  return ['sequenceDiagram', '  autonumber'];
}

function inboundDiagram(c: DataplanePolicies): string {
  const dp = c.resource;
  const transparent = isTransparent(dp);
  const tp = dp.networking.transparentProxying;
  const tproxy = tp?.inboundMode === 'tproxy';
  const capturePort = tp?.redirectPortInbound ?? DEFAULT_REDIRECT_PORT_INBOUND;
  const out = header();
  out.push(`  participant Client as ${lines('Client', '(any source)')}`);
  if (transparent) out.push(`  participant Kernel as ${lines('Kernel', `(netns of ${dp.name})`)}`);
  out.push(`  participant Proxy as ${lines(`meshcap dp ${dp.name}`, transparent ? `(${capturePort}, inbound:passthrough)` : '(explicit inbound listeners)')}`);
  const apps = c.inbounds.map((ib) => {
    // The declared inbound behind this listener (two inbounds may share a port on different addresses).
    const serviceAddress = dp.networking.inbound.find((x) => inboundListenerName(dp, x) === ib.listener)?.serviceAddress ?? '127.0.0.1';
    return { ib, serviceAddress, id: participantId(`App_${ib.service}_${ib.servicePort}`) };
  });
  const declared = new Set<string>();
  for (const { ib, serviceAddress, id } of apps) {
    if (declared.has(id)) continue;
    declared.add(id);
    out.push(`  participant ${id} as ${lines(hostPort(serviceAddress, ib.servicePort), `(${ib.service})`)}`);
  }
  if (apps.length === 0) {
    out.push(`  Note over Client,Proxy: ${escapeText(`${dp.name} declares no inbound: nothing is served`)}`);
    return `${out.join('\n')}\n`;
  }
  const last = apps[apps.length - 1]!.id;
  for (const { ib, serviceAddress, id } of apps) {
    const target = hostPort(ib.address, ib.port);
    out.push(`  Client->>+${transparent ? 'Kernel' : 'Proxy'}: ${lines(`${ib.protocol === 'tcp' ? 'TCP' : ib.protocol.toUpperCase()} to ${target}`)}`);
    out.push(`  ${HOST_RECT}`);
    out.push(`  Note over ${transparent ? 'Kernel' : 'Proxy'},${last}: ${escapeText(`${dp.name} (mesh ${c.mesh})`)}`);
    if (transparent) {
      const rule = tproxy
        ? [`Capture inbound TCP (${CHAIN_INBOUND_TPROXY})`, `TPROXY to the sidecar`, `(listener port ${capturePort})`]
        : [`Capture inbound TCP (${CHAIN_INBOUND_REDIRECT})`, 'and Redirect to the sidecar', `(listener port ${capturePort})`];
      out.push(`  Kernel->>+Proxy: ${lines(...rule)}`);
    }
    const policyLines = inboundPolicyLines(ib);
    out.push(`  Note over Proxy: ${lines(`listener ${ib.listener} (${ib.protocol})`, ...(policyLines.length ? policyLines : ['no inbound policies']))}`);
    const source = transparent ? (tproxy ? 'from the client address' : 'from 127.0.0.6') : undefined;
    out.push(`  Proxy->>+${id}: ${lines('Forward to the application', source && `(${source})`, `cluster ${inboundClusterName(serviceAddress, ib.servicePort)}`)}`);
    out.push('  end');
    out.push(`  ${id}-->>-Client: ${lines('Response through the sidecar')}`);
  }
  return `${out.join('\n')}\n`;
}

function outboundDiagram(c: DataplanePolicies): string {
  const dp = c.resource;
  const transparent = isTransparent(dp);
  const capturePort = dp.networking.transparentProxying?.redirectPortOutbound ?? DEFAULT_REDIRECT_PORT_OUTBOUND;
  const out = header();
  out.push(`  participant App as ${lines(dp.name, `(${dp.networking.address})`)}`);
  if (transparent) out.push(`  participant Kernel as ${lines('Kernel', `(netns of ${dp.name})`)}`);
  out.push(`  participant Proxy as ${lines(`meshcap dp ${dp.name}`, transparent ? `(${capturePort}, outbound:passthrough)` : '(explicit outbound listeners)')}`);
  const targets = c.outbounds.map((ob) => ({ ob, id: participantId(`Svc_${ob.service}`) }));
  for (const { ob, id } of targets) {
    const where = ob.endpoints.length ? ob.endpoints.slice(0, 3).map((e) => hostPort(e.address, e.port)).join(', ') + (ob.endpoints.length > 3 ? ', …' : '') : 'no known endpoints';
    out.push(`  participant ${id} as ${lines(ob.service, `(${where})`)}`);
  }
  if (transparent) out.push(`  participant Other as ${lines('Any other destination', '(original destination)')}`);
  if (targets.length === 0 && !transparent) {
    out.push(`  Note over App,Proxy: ${escapeText(`${dp.name} declares no outbound: nothing is proxied`)}`);
    return `${out.join('\n')}\n`;
  }
  const first = transparent ? 'Kernel' : 'Proxy';
  out.push(`  ${HOST_RECT}`);
  out.push(`  Note over App,Proxy: ${escapeText(`${dp.name} (mesh ${c.mesh})`)}`);
  for (const { ob, id } of targets) {
    const endpoint = ob.endpoints[0];
    const called =
      ob.listener && ob.address !== undefined && ob.port !== undefined
        ? hostPort(ob.address, ob.port)
        : `${ob.service}${endpoint ? ` at ${hostPort(endpoint.address, endpoint.port)}` : ''}`;
    out.push(`  App->>+${first}: ${lines(`${ob.protocol === 'tcp' ? 'TCP' : ob.protocol.toUpperCase()} to ${called}`)}`);
    if (transparent && !(ob.listener && ob.address?.startsWith('127.'))) {
      out.push(`  Kernel->>+Proxy: ${lines(`Capture outbound TCP (${CHAIN_OUTBOUND_REDIRECT})`, 'and Redirect to the sidecar', `(listener port ${capturePort})`)}`);
    }
    const policyLines = outboundPolicyLines(ob);
    out.push(`  Note over Proxy: ${lines(`${ob.listener ?? 'outbound'} → cluster ${ob.service} (${ob.protocol})`, ...(policyLines.length ? policyLines : ['no outbound policies']))}`);
    out.push(`  Proxy->>+${id}: ${lines(`Forward to ${ob.service}`)}`);
  }
  if (transparent) {
    out.push(`  App->>+Kernel: ${lines('TCP to anything else')}`);
    out.push(`  Kernel->>+Proxy: ${lines(`Capture outbound TCP (${CHAIN_OUTBOUND_REDIRECT})`, `(listener port ${capturePort})`)}`);
    out.push(`  Proxy->>+Other: ${lines('outbound:passthrough', 'to the original destination')}`);
  }
  out.push('  end');
  return `${out.join('\n')}\n`;
}

/**
 * Mermaid sequence diagram of a dataplane's real path in one direction, in the style of the seed's
 * transparent-proxying diagram: kernel rule → capture port → listener → policies → destination.
 * Built from the compiled config, so it shows exactly what the dataplane was given.
 */
export function dataplanePathDiagram(config: DataplanePolicies, direction: PathDirection): string {
  return direction === 'inbound' ? inboundDiagram(config) : outboundDiagram(config);
}
