'use client';

import Link from 'next/link';
import { useEffect, useId, useMemo, type ReactNode } from 'react';
import { MermaidDiagram } from '../../../components/mermaid-diagram.tsx';
import { QueryState } from '../../../components/query-state.tsx';
import { SourceDetails } from '../../../components/source-details.tsx';
import { formatBytes, formatHostPort, formatMs } from '../../../lib/format.ts';
import { useDataplanes } from '../../dataplanes/api/get-dataplanes.ts';
import { dataplaneHref, serviceHref } from '../../dataplanes/dataplane-href.ts';
import { flowServices } from '../../service-map/service-graph.ts';
import { useFlowDiagram } from '../api/get-flow-diagram.ts';
import { flowReasonCode, grpcStatusText } from '../flow-text.ts';
import { useFlowReasons } from '../api/get-flow-reasons.ts';
import type { Flow, FlowEndpoint } from '../api/types.ts';
import { policyAnchor } from '../../policies/policy-anchor.ts';
import { traceHref } from '../../rules/trace-url.ts';
import { RequestHops } from './request-hops.tsx';
import { VerdictBadge } from './verdict-badge.tsx';

// Mermaid draws text at 16 px: no smaller than 75 % of that (12 px) in the drawer; wider diagrams scroll.
const DRAWER_MIN_SCALE = 0.75;

const endpoint = (e: FlowEndpoint | null | undefined) => (e ? formatHostPort(e.address, e.port) : '—');

/** A side panel with everything about one flow: its fields, the policies that acted, and its own sequence diagram. */
export function FlowDrawer({ flow, onClose, onOpenFlow }: { flow: Flow; onClose: () => void; onOpenFlow?: (id: string) => void }) {
  const titleId = useId();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const dpHref = dataplaneHref(flow.mesh, flow.dataplane);
  const dataplanes = useDataplanes(flow.mesh);
  const services = useMemo(() => (dataplanes.data ? flowServices(dataplanes.data.items) : undefined), [dataplanes.data]);
  const total = flow.timings.totalMs;
  return (
    <aside
      role="dialog"
      aria-modal="false"
      aria-labelledby={titleId}
      className="fixed inset-y-0 right-0 z-40 flex w-[34rem] max-w-full flex-col border-l border-slate-200 bg-white shadow-2xl dark:border-slate-800 dark:bg-slate-950"
    >
      <header className="flex items-center justify-between gap-2 border-b border-slate-200 px-4 py-3 dark:border-slate-800">
        <div className="min-w-0">
          <h2 id={titleId} className="truncate font-semibold">
            Flow details
          </h2>
          <p className="muted truncate font-mono text-xs">{flow.id}</p>
        </div>
        <button type="button" className="btn-secondary" onClick={onClose}>
          Close
        </button>
      </header>
      <div className="flex-1 space-y-5 overflow-y-auto p-4 text-sm">
        <div className="flex flex-wrap items-center gap-2">
          <VerdictBadge flow={flow} />
          {flow.reason && <FlowReasonText reason={flow.reason} />}
          <Link
            className="link ml-auto text-xs"
            href={traceHref({ mesh: flow.mesh, dataplane: flow.dataplane, direction: flow.direction, src: flow.client.address, dst: flow.destination.address, port: flow.destination.port })}
          >
            Trace this flow
          </Link>
        </div>

        {flow.http && (
          <Section title="Hops of this request">
            <RequestHops flow={flow} onOpen={onOpenFlow} />
          </Section>
        )}

        <Section title="Identity">
          <Fields>
            <Field name="Identity">
              {flow.tls === undefined ? 'source address (no mTLS)' : flow.tls.mode === 'mtls' ? (flow.tls.verified ? 'verified (mTLS)' : 'not verified (mTLS refused)') : 'source address (plaintext, PERMISSIVE)'}
            </Field>
            {flow.tls?.peer && flow.tls.peer.length > 0 && (
              <Field name="Peer" mono>
                {flow.tls.peer.join(' ')}
              </Field>
            )}
            {flow.tls?.version && (
              <Field name="TLS" mono>
                {flow.tls.version} {flow.tls.cipher ?? ''}
              </Field>
            )}
          </Fields>
        </Section>

        <Section title="Policies that acted">
          {flow.policies.length === 0 ? (
            <p className="muted">No policy acted on this flow.</p>
          ) : (
            <ul className="space-y-1" aria-label="Policies that acted">
              {flow.policies.map((p, i) => (
                <li key={i} className="rounded border border-slate-200 px-2 py-1 dark:border-slate-800">
                  <span className="font-medium">{p.type}</span>{' '}
                  <Link className="link font-mono" href={`/policies#${policyAnchor(flow.mesh, p.type, p.name)}`}>
                    {p.name}
                  </Link>
                  <span className="muted"> — {p.action}</span>
                </li>
              ))}
            </ul>
          )}
        </Section>

        <Section title="Sequence diagram">
          <FlowDiagram id={flow.id} />
        </Section>

        <Section title="Connection">
          <Fields>
            <Field name="Time">{new Date(flow.start).toLocaleString()}</Field>
            <Field name="Dataplane">
              <Link className="link" href={dpHref}>
                {flow.mesh}/{flow.dataplane}
              </Link>
            </Field>
            <Field name="Direction">{flow.direction}</Field>
            <Field name="Listener" mono>
              {flow.listener}
            </Field>
            <Field name="Capture">{flow.capture}</Field>
            <Field name="Client" mono>
              {endpoint(flow.client)}
            </Field>
            <Field name="Client service">
              <ServiceName id={services?.caller(flow)} />
            </Field>
            <Field name="Original destination" mono>
              {endpoint(flow.destination)}
            </Field>
            <Field name="Destination service">
              <ServiceName id={services?.callee(flow)} />
            </Field>
            <Field name="Upstream" mono>
              {endpoint(flow.upstream)}
            </Field>
            <Field name="Protocol">{flow.protocol}</Field>
            <Field name="Cluster" mono>
              {flow.cluster}
            </Field>
            <Field name="Bytes from client">{formatBytes(flow.bytes.fromClient)}</Field>
            <Field name="Bytes to client">{formatBytes(flow.bytes.toClient)}</Field>
            {flow.close && <Field name="Closed by">{flow.close}</Field>}
          </Fields>
        </Section>

        {flow.http && (
          <Section title="HTTP request">
            <Fields>
              <Field name="Method">{flow.http.method}</Field>
              <Field name="Authority" mono>
                {flow.http.authority}
              </Field>
              <Field name="Path" mono>
                {flow.http.path}
              </Field>
              <Field name="Status">{flow.http.status ?? '—'}</Field>
              <Field name="Request body">{formatBytes(flow.http.requestBytes)}</Field>
              <Field name="Response body">{formatBytes(flow.http.responseBytes)}</Field>
              <Field name="Request id" mono>
                {flow.http.requestId}
              </Field>
              <Field name="Attempts">{flow.http.attempts}</Field>
              {flow.http.version && <Field name="Version">{flow.http.version}</Field>}
              {flow.http.upgraded && <Field name="Upgraded">yes (protocol switched)</Field>}
            </Fields>
          </Section>
        )}

        {flow.http?.grpc && (
          <Section title="gRPC call">
            <Fields>
              <Field name="Service" mono>
                {flow.http.grpc.service}
              </Field>
              <Field name="Method" mono>
                {flow.http.grpc.method}
              </Field>
              <Field name="grpc-status">{flow.http.grpc.status === undefined ? '— (stream ended without one)' : grpcStatusText(flow.http.grpc.status)}</Field>
              {flow.http.grpc.message && <Field name="grpc-message">{flow.http.grpc.message}</Field>}
            </Fields>
          </Section>
        )}

        <Section title="Timings">
          <Fields>
            <Field name="Connect">{formatMs(flow.timings.connectMs)}</Field>
            <Field name="First byte">{formatMs(flow.timings.firstByteMs)}</Field>
            <Field name="Total">{formatMs(flow.timings.totalMs)}</Field>
          </Fields>
          {total > 0 && (
            <div aria-hidden className="mt-2 h-2 w-full overflow-hidden rounded bg-slate-100 dark:bg-slate-800">
              <div className="relative h-full" style={{ width: '100%' }}>
                <span className="absolute inset-y-0 left-0 bg-sky-300 dark:bg-sky-700" style={{ width: `${Math.min(100, ((flow.timings.firstByteMs ?? 0) / total) * 100)}%` }} />
                <span className="absolute inset-y-0 left-0 bg-sky-600 dark:bg-sky-400" style={{ width: `${Math.min(100, ((flow.timings.connectMs ?? 0) / total) * 100)}%` }} />
              </div>
            </div>
          )}
        </Section>

        <SourceDetails summary="Raw JSON" text={JSON.stringify(flow, null, 2)} />
      </div>
    </aside>
  );
}

function FlowDiagram({ id }: { id: string }) {
  const query = useFlowDiagram(id);
  return <QueryState query={query} label="flow diagram">{(d) => <MermaidDiagram text={d.mermaid} label="Flow sequence diagram" zoomable minScale={DRAWER_MIN_SCALE} />}</QueryState>;
}

/** `<mesh>/<service>` as a link to the service page; outside the mesh, says so. */
function ServiceName({ id }: { id: string | undefined }) {
  if (!id) return <span className="muted">outside the mesh</span>;
  const [mesh, ...rest] = id.split('/');
  const service = rest.join('/');
  return (
    <Link className="link" href={serviceHref(mesh!, service)}>
      {service}
    </Link>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section>
      <h3 className="mb-2 text-xs font-semibold tracking-wide text-slate-500 uppercase dark:text-slate-400">{title}</h3>
      {children}
    </section>
  );
}

function Fields({ children }: { children: ReactNode }) {
  return <dl className="grid grid-cols-[9rem_minmax(0,1fr)] gap-x-3 gap-y-1">{children}</dl>;
}

function Field({ name, mono, children }: { name: string; mono?: boolean; children: ReactNode }) {
  return (
    <>
      <dt className="muted">{name}</dt>
      <dd className={`break-words ${mono ? 'font-mono text-xs leading-5' : ''}`}>{children}</dd>
    </>
  );
}

/** The recorded reason, and what its code means (the control plane's registry), with Envoy's flag for it. */
function FlowReasonText({ reason }: { reason: string }) {
  const reasons = useFlowReasons();
  const code = flowReasonCode(reason);
  const entry = reasons.data?.items.find((r) => r.code === code);
  return (
    <span className="text-rose-700 dark:text-rose-300">
      <span className="font-mono">{reason}</span>
      {entry && (
        <span className="muted block text-xs" aria-label="What the reason means">
          {entry.means}
          {entry.flag !== null && ` · Envoy response flag ${entry.flag}`}
        </span>
      )}
    </span>
  );
}
