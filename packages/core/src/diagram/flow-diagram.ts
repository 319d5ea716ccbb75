import type { FlowRecord } from '../flows/flow.ts';
import { grpcStatusName } from '../proxy/http2/grpc.ts';
import { escapeText, hostPort, lines } from './mermaid-text.ts';
import { isVip } from '../dns/vips.ts';

function ms(value: number | undefined): string | undefined {
  return value === undefined ? undefined : `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;
}

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const CAPTURE_TEXT: Record<FlowRecord['capture'], string> = {
  redirect: 'REDIRECT (original destination from SO_ORIGINAL_DST)',
  tproxy: 'TPROXY (original destination = local address)',
  explicit: 'explicit listener (no capture)',
};

/**
 * Mermaid sequence diagram of one flow: who called whom, how it was captured, what each policy
 * did, and the timings measured from the flow's start (connect, first byte, total).
 */
export function flowDiagram(flow: FlowRecord): string {
  const out = ['sequenceDiagram', '  autonumber'];
  const dest = hostPort(flow.destination.address, flow.destination.port);
  out.push(`  participant Client as ${lines('Client', hostPort(flow.client.address, flow.client.port))}`);
  if (flow.capture !== 'explicit') out.push(`  participant Kernel as Kernel`);
  out.push(`  participant Proxy as ${lines(`meshcap dp ${flow.dataplane}`, flow.listener)}`);
  out.push(`  participant Upstream as ${lines(flow.cluster, flow.upstream ? hostPort(flow.upstream.address, flow.upstream.port) : `${dest} (not reached)`)}`);
  const grpc = flow.http?.grpc;
  // A gRPC call is one HTTP/2 stream: named by its service and method.
  const what = grpc ? `gRPC ${grpc.service}/${grpc.method}` : flow.http ? `${flow.http.method} ${flow.http.path}` : 'TCP connection';
  // A mesh VIP was learnt from the dataplane's DNS proxy: the step before the connection.
  if (flow.direction === 'outbound' && isVip(flow.destination.address)) {
    // Without a route the cluster is the service; a route's subset cluster is not a name the client asked.
    const routed = flow.policies.some((p) => p.type === 'MeshHTTPRoute' || p.type === 'MeshTCPRoute');
    out.push(`  Note over Client: ${lines(`DNS: ${routed ? 'a .mesh name' : `${flow.cluster}.mesh`} → ${flow.destination.address}`, 'answered by the DNS proxy (15053)')}`);
  }
  if (flow.capture !== 'explicit') {
    out.push(`  Client->>Kernel: ${lines(`${what} to ${dest}`)}`);
    out.push(`  Kernel->>Proxy: ${lines(CAPTURE_TEXT[flow.capture], `${flow.direction} capture`)}`);
  } else {
    out.push(`  Client->>Proxy: ${lines(`${what} to ${dest}`, CAPTURE_TEXT.explicit)}`);
  }
  if (flow.http) out.push(`  Note over Proxy: ${lines(flow.http.version && `${flow.http.version} stream`, `Host: ${flow.http.authority}`, `x-request-id: ${flow.http.requestId}`)}`);
  for (const p of flow.policies) out.push(`  Note over Proxy: ${lines(`${p.type} ${p.name}`, p.action)}`);

  const reached = flow.upstream !== undefined;
  if (reached) {
    const attempts = flow.http && flow.http.attempts > 1 ? `${flow.http.attempts} attempts` : undefined;
    out.push(`  Proxy->>Upstream: ${lines(flow.http ? what : 'connect', attempts, ms(flow.timings.connectMs) && `connected after ${ms(flow.timings.connectMs)}`)}`);
    if (flow.timings.firstByteMs !== undefined) {
      const head = flow.http?.status !== undefined ? `${flow.http.status}` : 'first byte';
      out.push(`  Upstream-->>Proxy: ${lines(`${head} after ${ms(flow.timings.firstByteMs)}`)}`);
    }
  } else {
    out.push(`  Note over Proxy,Upstream: ${lines('no upstream connection', flow.reason)}`);
  }
  const status = flow.http?.status !== undefined ? `${flow.http.status}` : flow.verdict === 'forwarded' ? 'stream closed' : flow.verdict;
  const answer = grpc?.status !== undefined ? `${status} · grpc-status ${grpcStatusName(grpc.status)} (${grpc.status})${grpc.message ? `: ${grpc.message}` : ''}` : status;
  const sent = flow.http ? `${bytes(flow.http.responseBytes)} body` : `${bytes(flow.bytes.toClient)} back, ${bytes(flow.bytes.fromClient)} sent`;
  out.push(`  Proxy-->>Client: ${lines(`${answer} (${flow.verdict}${flow.reason && reached ? `: ${flow.reason}` : ''})`, sent, `total ${ms(flow.timings.totalMs)}`, flow.close && `close: ${flow.close}`)}`);
  out.push(`  Note over Client,Upstream: ${escapeText(`flow ${flow.id} · ${new Date(flow.start).toISOString()}`)}`);
  return `${out.join('\n')}\n`;
}
