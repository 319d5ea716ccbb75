// Mermaid sequence diagrams of a dataplane's paths and of single flows (pure functions).
export { dataplanePathDiagram, type PathDirection } from './path-diagram.ts';
export { flowDiagram } from './flow-diagram.ts';
export { escapeText as escapeMermaidText } from './mermaid-text.ts';
