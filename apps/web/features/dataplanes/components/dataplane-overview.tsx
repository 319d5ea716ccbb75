'use client';

import type { ReactNode } from 'react';
import { MermaidDiagram } from '../../../components/mermaid-diagram.tsx';
import { Panel } from '../../../components/page-title.tsx';
import { Empty, QueryState } from '../../../components/query-state.tsx';
import { SourceDetails } from '../../../components/source-details.tsx';
import { formatHostPort } from '../../../lib/format.ts';
import { useDataplane } from '../api/get-dataplane.ts';
import { useDiagram } from '../api/get-diagram.ts';
import type { DataplanePort, Direction } from '../api/types.ts';
import { ControlPlaneReplica } from './dataplane-table.tsx';
import { StatTable } from './stat-table.tsx';
import { DataplaneCertificatePanel } from '../../mtls/components/dataplane-certificate.tsx';
import { GoldenMetricsPanel } from '../../metrics/components/golden-metrics-panel.tsx';

export function DataplaneOverview({ mesh, name }: { mesh: string; name: string }) {
  const dp = useDataplane(mesh, name);
  return (
    <QueryState query={dp} label="dataplane">
      {(d) => (
        <div className="space-y-4">
          <Panel title="Dataplane">
            <dl className="grid grid-cols-2 gap-x-6 gap-y-2 text-sm md:grid-cols-4">
              <Fact name="Address" mono>
                {d.address}
              </Fact>
              <Fact name="Mesh">{d.mesh}</Fact>
              <Fact name="Capture mode">{d.captureMode}</Fact>
              <Fact name="Config version" mono>
                {d.configVersion ?? '—'}
              </Fact>
              {d.controlPlane !== undefined && (
                <Fact name="Control plane">
                  <ControlPlaneReplica controlPlane={d.controlPlane} />
                </Fact>
              )}
            </dl>
            <ul aria-label="Tags" className="mt-3 flex flex-wrap gap-1.5">
              {Object.entries(d.tags).map(([k, v]) => (
                <li key={k} className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs dark:bg-slate-800">
                  {k}={v}
                </li>
              ))}
            </ul>
          </Panel>
          <GoldenMetricsPanel scope={{ kind: 'dataplane', mesh, name }} title="Golden metrics (flows of this dataplane, both directions)" />
          <DataplaneCertificatePanel mesh={mesh} name={name} />
          <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
            <PortCards title="Inbounds" ports={d.inbounds} empty="No inbound declared." />
            <PortCards
              title="Outbounds"
              ports={d.outbounds}
              empty={d.captureMode === 'explicit' ? 'No outbound declared: this dataplane proxies no outgoing traffic.' : 'No outbound declared: outgoing traffic is captured and goes through the outbound passthrough (15001).'}
            />
          </div>
          <PathDiagram mesh={mesh} name={name} direction="inbound" />
          <PathDiagram mesh={mesh} name={name} direction="outbound" />
        </div>
      )}
    </QueryState>
  );
}

function Fact({ name, mono, children }: { name: string; mono?: boolean; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="muted text-xs">{name}</dt>
      <dd className={`truncate ${mono ? 'font-mono text-xs leading-5' : ''}`}>{children}</dd>
    </div>
  );
}

/** Inbounds or outbounds as cards: listener, protocol, addresses, the VIP and DNS name of a mesh service, live counters. */
export function PortCards({ title, ports, empty }: { title: string; ports: DataplanePort[]; empty: string }) {
  return (
    <section aria-label={title}>
      <h2 className="mb-2 text-sm font-semibold">{title}</h2>
      {ports.length === 0 ? (
        <Empty>{empty}</Empty>
      ) : (
        <div className="space-y-3">
          {ports.map((p) => (
            <article key={p.listener} aria-label={p.listener} className="card p-3">
              <div className="flex items-center justify-between gap-2">
                <h3 className="truncate font-mono text-sm font-medium">{p.listener}</h3>
                <span className="shrink-0 rounded bg-slate-100 px-1.5 py-0.5 text-xs font-medium uppercase dark:bg-slate-800">{p.protocol}</span>
              </div>
              <p className="muted mt-1 truncate text-xs">
                {p.service && <span className="font-medium text-slate-700 dark:text-slate-300">{p.service} · </span>}
                <span className="font-mono">{formatHostPort(p.address, p.port)}</span>
                {p.servicePort !== undefined && (
                  <span className="font-mono"> → {formatHostPort(p.serviceAddress ?? '127.0.0.1', p.servicePort)}</span>
                )}
              </p>
              {p.vip !== undefined && (
                <p className="muted mt-1 truncate text-xs" aria-label={`DNS of ${p.service ?? p.listener}`}>
                  <span className="font-mono">{p.dnsNames?.[0] ?? p.service}</span> → VIP <span className="font-mono">{p.vip}</span>
                  {p.dnsNames && p.dnsNames.length > 1 && <span title={p.dnsNames.slice(1).join(', ')}> (+{p.dnsNames.length - 1} names)</span>}
                </p>
              )}
              <StatTable stats={p.stats} className="mt-2" />
            </article>
          ))}
        </div>
      )}
    </section>
  );
}

function PathDiagram({ mesh, name, direction }: { mesh: string; name: string; direction: Direction }) {
  const q = useDiagram(mesh, name, direction);
  const title = direction === 'inbound' ? 'Inbound path' : 'Outbound path';
  return (
    <Panel title={title}>
      <QueryState query={q} label={`${direction} diagram`}>
        {(d) => (
          <>
            <MermaidDiagram text={d.mermaid} label={`${direction === 'inbound' ? 'Inbound' : 'Outbound'} sequence diagram`} />
            <SourceDetails summary="Mermaid source" text={d.mermaid} className="mt-2" />
          </>
        )}
      </QueryState>
    </Panel>
  );
}

