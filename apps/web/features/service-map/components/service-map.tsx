'use client';

import Link from 'next/link';
import { useMemo } from 'react';
import { formatMs } from '../../../lib/format.ts';
import type { ServiceEdge, ServiceGraph, ServiceNode } from '../service-graph.ts';
import { LABEL_HEIGHT, LABEL_WIDTH, layoutServiceGraph, NODE_HEIGHT, NODE_WIDTH, type Placed } from '../service-map-layout.ts';

const rate = (r: number) => `${r.toFixed(r < 10 ? 1 : 0)}/s`;

export function edgeText(e: ServiceEdge): string {
  return `${rate(e.rate)} · ${e.errorPct.toFixed(1)} % err · p99 ${formatMs(e.p99Ms)}`;
}

/**
 * The service graph drawn as SVG: services as boxes (click: the service's dataplane page), calls
 * as arrows with their numbers (click: the flows of that edge); an edge with denials is drawn red
 * and dashed and says how many. Every node and edge is a link with a name that reads out its numbers.
 */
export function ServiceMap({ graph }: { graph: ServiceGraph }) {
  const layout = useMemo(() => layoutServiceGraph(graph), [graph]);
  const names = useMemo(() => new Map(graph.nodes.map((n) => [n.id, n.label])), [graph.nodes]);
  return (
    <div className="overflow-x-auto">
      <svg role="group" aria-label="Service map" width={layout.width} height={layout.height} viewBox={`0 0 ${layout.width} ${layout.height}`} className="max-w-none text-slate-700 dark:text-slate-200">
        <defs>
          <marker id="svc-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" className="fill-slate-500 dark:fill-slate-400" />
          </marker>
          <marker id="svc-arrow-denied" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" className="fill-rose-600 dark:fill-rose-400" />
          </marker>
        </defs>
        {graph.edges.map((e) => {
          const placed = layout.edges.get(e.id);
          return placed ? <EdgeView key={e.id} edge={e} points={placed.points} label={placed.label} name={`${names.get(e.from)} → ${names.get(e.to)}`} /> : null;
        })}
        {graph.nodes.map((n) => {
          const at = layout.nodes.get(n.id);
          return at ? <NodeView key={n.id} node={n} at={at} /> : null;
        })}
      </svg>
    </div>
  );
}

function NodeView({ node, at }: { node: ServiceNode; at: Placed }) {
  const x = at.x - NODE_WIDTH / 2;
  const y = at.y - NODE_HEIGHT / 2;
  const detail = node.kind === 'service' ? `${node.dataplanes.length} dataplane${node.dataplanes.length === 1 ? '' : 's'} · in ${rate(node.inboundRate)}` : 'outside the mesh';
  const body = (
    <g data-node={node.label} data-kind={node.kind}>
      <rect
        x={x}
        y={y}
        width={NODE_WIDTH}
        height={NODE_HEIGHT}
        rx={8}
        className={node.kind === 'service' ? 'fill-sky-50 stroke-sky-600 dark:fill-sky-950 dark:stroke-sky-400' : 'fill-slate-100 stroke-slate-400 dark:fill-slate-800 dark:stroke-slate-500'}
        strokeWidth={1.5}
        strokeDasharray={node.kind === 'external' ? '4 3' : undefined}
      />
      {/* One text, two lines: its words read in order ("backend 1 dataplane · …"), as the link's name says them. */}
      <text x={at.x} y={at.y - 6} textAnchor="middle">
        <tspan className="fill-slate-900 text-sm font-semibold dark:fill-slate-50">{node.label}</tspan>{' '}
        <tspan x={at.x} dy={20} className="fill-slate-600 text-[11px] dark:fill-slate-300">
          {detail}
        </tspan>
      </text>
    </g>
  );
  const name = `${node.kind === 'service' ? 'service' : 'external'} ${node.label}: ${detail}`;
  return node.href ? (
    <Link href={node.href} aria-label={name} className="outline-none focus-visible:[&_rect]:stroke-[3]">
      {body}
    </Link>
  ) : (
    <g role="img" aria-label={name}>
      {body}
    </g>
  );
}

function EdgeView({ edge, points, label, name }: { edge: ServiceEdge; points: Placed[]; label: Placed; name: string }) {
  const denied = edge.denied > 0;
  const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
  const text = edgeText(edge);
  return (
    <Link href={edge.href} aria-label={`${name}: ${text}${denied ? `, ${edge.denied} denied` : ''}`} className="group outline-none">
      <g data-edge={name} data-denied={denied || undefined}>
        <path
          d={d}
          fill="none"
          strokeWidth={denied ? 2 : 1.5}
          strokeDasharray={denied ? '6 4' : undefined}
          markerEnd={denied ? 'url(#svc-arrow-denied)' : 'url(#svc-arrow)'}
          className={denied ? 'stroke-rose-600 dark:stroke-rose-400' : 'stroke-slate-500 group-hover:stroke-sky-600 dark:stroke-slate-400'}
        />
        <rect
          x={label.x - LABEL_WIDTH / 2}
          y={label.y - LABEL_HEIGHT / 2}
          width={LABEL_WIDTH}
          height={LABEL_HEIGHT}
          rx={4}
          className="fill-white/90 stroke-slate-200 group-focus-visible:stroke-sky-500 dark:fill-slate-900/90 dark:stroke-slate-700"
        />
        <text x={label.x} y={label.y - (denied ? 3 : -4)} textAnchor="middle" className="fill-slate-800 font-mono text-[11px] dark:fill-slate-100">
          {text}
        </text>
        {denied && (
          <text x={label.x} y={label.y + 12} textAnchor="middle" className="fill-rose-700 text-[11px] font-semibold dark:fill-rose-300">
            ⛔ {edge.denied} denied
          </text>
        )}
      </g>
    </Link>
  );
}
