import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceGraph } from '../service-graph.ts';
import { ServiceMap } from './service-map.tsx';

afterEach(cleanup);

const node = (label: string, dataplanes = [label]) => ({ id: `default/${label}`, label, kind: 'service' as const, mesh: 'default', dataplanes, inboundRate: 0, href: `/meshes/default/services/${label}` });
const GRAPH: ServiceGraph = {
  windowS: 60,
  nodes: [{ ...node('client') }, { ...node('frontend'), inboundRate: 7.2 }, { ...node('backend'), inboundRate: 3.8 }],
  edges: [
    { id: 'c-f', from: 'default/client', to: 'default/frontend', requests: 432, rate: 7.2, errorPct: 0, p99Ms: 4.25, denied: 0, href: '/flows?dataplane=client&direction=outbound&q=frontend' },
    { id: 'f-b', from: 'default/frontend', to: 'default/backend', requests: 180, rate: 3, errorPct: 2.5, p99Ms: 212, denied: 0, href: '/flows?dataplane=frontend&direction=outbound&q=198.18.10.3%3A8080' },
    { id: 'c-b', from: 'default/client', to: 'default/backend', requests: 48, rate: 0.8, errorPct: 100, p99Ms: 1.5, denied: 48, href: '/flows?dataplane=client&direction=outbound&q=198.18.10.3%3A8080' },
  ],
};

describe('ServiceMap', () => {
  it('draws services and calls as SVG links that read out their numbers, denied calls marked', () => {
    render(<ServiceMap graph={GRAPH} />);
    const map = screen.getByRole('group', { name: 'Service map' });
    expect(map.tagName.toLowerCase()).toBe('svg');
    const links = within(map).getAllByRole('link');
    const byName = (name: string) => links.find((l) => l.getAttribute('aria-label')?.startsWith(name))!;

    expect(byName('service frontend').getAttribute('aria-label')).toBe('service frontend: 1 dataplane · in 7.2/s');
    expect(byName('service frontend').getAttribute('href')).toBe('/meshes/default/services/frontend');
    expect(byName('frontend → backend').getAttribute('aria-label')).toBe('frontend → backend: 3.0/s · 2.5 % err · p99 212 ms');
    expect(byName('frontend → backend').getAttribute('href')).toBe('/flows?dataplane=frontend&direction=outbound&q=198.18.10.3%3A8080');
    expect(byName('client → backend').getAttribute('aria-label')).toBe('client → backend: 0.8/s · 100.0 % err · p99 1.5 ms, 48 denied');

    // denied edges are drawn apart from the others, and say so in text
    expect(map.querySelector('[data-edge="client → backend"]')!.getAttribute('data-denied')).toBe('true');
    expect(map.querySelector('[data-edge="client → frontend"]')!.hasAttribute('data-denied')).toBe(false);
    expect(map.querySelector('[data-edge="client → backend"]')!.textContent).toContain('48 denied');
    expect(map.querySelector('[data-edge="client → backend"] path')!.getAttribute('stroke-dasharray')).toBe('6 4');

    // laid out left to right: the caller before the callees, inside the drawing
    const x = (label: string) => Number(map.querySelector(`[data-node="${label}"] rect`)!.getAttribute('x'));
    expect(x('client')).toBeLessThan(x('frontend'));
    expect(x('frontend')).toBeLessThan(x('backend'));
    expect(x('backend') + 180).toBeLessThanOrEqual(Number(map.getAttribute('width')));
  });
});
