/**
 * Positions for the service graph: dagre's layered layout (callers left, callees right), nodes and
 * edge labels as boxes it keeps apart, edges as the polylines it routes between them.
 */
import dagre from '@dagrejs/dagre';
import type { ServiceGraph } from './service-graph.ts';

export const NODE_WIDTH = 180;
export const NODE_HEIGHT = 64;
export const LABEL_WIDTH = 190;
export const LABEL_HEIGHT = 34;

export interface Placed {
  x: number;
  y: number;
}

export interface ServiceMapLayout {
  width: number;
  height: number;
  /** Node centres by id. */
  nodes: Map<string, Placed>;
  /** Edge route points and the label's centre, by edge id. */
  edges: Map<string, { points: Placed[]; label: Placed }>;
}

export function layoutServiceGraph(graph: ServiceGraph): ServiceMapLayout {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 90, edgesep: 20, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) g.setNode(n.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const e of graph.edges) g.setEdge(e.from, e.to, { width: LABEL_WIDTH, height: LABEL_HEIGHT, labelpos: 'c' }, e.id);
  dagre.layout(g);
  const nodes = new Map<string, Placed>();
  for (const id of g.nodes()) {
    const n = g.node(id);
    nodes.set(id, { x: n.x ?? 0, y: n.y ?? 0 });
  }
  const edges = new Map<string, { points: Placed[]; label: Placed }>();
  for (const ref of g.edges()) {
    const e = g.edge(ref);
    const points = e.points ?? [];
    const mid = points[Math.floor(points.length / 2)] ?? { x: 0, y: 0 };
    edges.set(ref.name ?? `${ref.v}->${ref.w}`, { points, label: { x: e.x ?? mid.x, y: e.y ?? mid.y } });
  }
  const size = g.graph();
  return { width: Math.ceil(size.width ?? 0), height: Math.ceil(size.height ?? 0), nodes, edges };
}
