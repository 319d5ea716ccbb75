import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { ServerResponse } from 'node:http';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startApiFixture, sendJson, type ApiFixture } from '../../../test/api-fixture.ts';
import { makeFlow, makeFlows } from '../../../test/flow-fixtures.ts';
import { installLayoutPolyfill, VIEWPORT_HEIGHT } from '../../../test/layout-polyfill.ts';
import { cleanupApp, renderApp } from '../../../test/render-app.tsx';
import type { Flow } from '../api/types.ts';
import { FlowExplorer } from './flow-explorer.tsx';
import { FlowTable } from './flow-table.tsx';

beforeAll(installLayoutPolyfill);
afterEach(cleanup);

const flowList = (items: Flow[]) => ({ total: items.length, items, dropped: 0, drops: { controlPlane: 0, dataplanes: 0, total: 0 } });
const bodyRows = (table: HTMLElement) => within(table).getAllByRole('row').filter((r) => r.getAttribute('aria-rowindex') !== '1');

describe('FlowTable virtualization', () => {
  it('renders only a window of 5000 flows and moves it when scrolled', async () => {
    const flows = makeFlows(5000).reverse(); // newest first, as the live buffer holds them
    render(<FlowTable flows={flows} onSelect={() => {}} />);
    const table = screen.getByRole('table', { name: 'Flows' });
    expect(table.getAttribute('aria-rowcount')).toBe('5001');

    const first = bodyRows(table);
    // 600 px / 36 px rows ≈ 17 visible, plus overscan: far fewer than 5000 in the DOM.
    expect(first.length).toBeGreaterThan(VIEWPORT_HEIGHT / 36);
    expect(first.length).toBeLessThan(60);
    expect(first[0]!.textContent).toContain('/items/4999');

    const scroller = screen.getByTestId('flow-scroller');
    await act(async () => {
      scroller.scrollTop = 36 * 4000;
      fireEvent.scroll(scroller);
    });
    await waitFor(() => expect(bodyRows(table).some((r) => r.textContent?.includes('/items/999'))).toBe(true));
    const later = bodyRows(table);
    expect(later.length).toBeLessThan(60);
    expect(later.some((r) => r.textContent?.includes('/items/4999'))).toBe(false);
    // rows keep their position in the whole list for assistive technology
    expect(Number(later[0]!.getAttribute('aria-rowindex'))).toBeGreaterThan(3900);
  });

  it("colours a verdict by its outcome: the caller's side of a denied call is not a green 'forwarded'", () => {
    const http = makeFlow(0).http!;
    const flows = [
      makeFlow(0, { verdict: 'forwarded', http: { ...http, status: 200 } }),
      makeFlow(1, { verdict: 'forwarded', http: { ...http, status: 403 } }),
      makeFlow(2, { verdict: 'denied', http: { ...http, status: 403 } }),
    ];
    render(<FlowTable flows={flows} onSelect={() => {}} />);
    const badges = bodyRows(screen.getByRole('table')).map((r) => within(r).getByText(/forwarded|denied/));
    expect(badges.map((b) => b.dataset.outcome)).toEqual(['ok', 'upstream-4xx', 'denied']);
    expect(badges[0]!.className).toContain('emerald');
    expect(badges[1]!.className).not.toContain('emerald');
    expect(badges[1]!.title).toBe('forwarded; the upstream refused it (403)');
    expect(badges[2]!.title).toBe('answered locally: denied by a policy (403)');
    expect(badges[2]!.className).not.toBe(badges[1]!.className);
  });

  it('opens a flow with a click or Enter', () => {
    const picked: Flow[] = [];
    render(<FlowTable flows={makeFlows(3)} onSelect={(f) => picked.push(f)} />);
    const rows = bodyRows(screen.getByRole('table'));
    fireEvent.click(rows[1]!);
    fireEvent.keyDown(rows[2]!, { key: 'Enter' });
    expect(picked.map((f) => f.id)).toEqual(['f-1', 'f-2']);
  });
});

describe('FlowExplorer (live flows over SSE)', () => {
  let api: ApiFixture;
  let stream: ServerResponse | null;
  let seq = 100;
  const send = (flows: Flow[]) => {
    for (const f of flows) stream?.write(`id: ${seq++}\nevent: flow\ndata: ${JSON.stringify(f)}\n\n`);
  };

  beforeEach(async () => {
    stream = null;
    api = await startApiFixture();
    api.on('GET', '/api/flows', (_req, res) => sendJson(res, 200, flowList(makeFlows(20).reverse())));
    api.on('GET', '/api/flows/stream', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write('retry: 3000\n\n');
      res.write(`event: dropped\ndata: ${JSON.stringify({ dropped: 0, drops: { controlPlane: 0, dataplanes: 0, total: 0 }, skipped: 0, missed: 0 })}\n\n`);
      stream = res;
    });
  });
  afterEach(async () => {
    await cleanupApp();
    await api.close();
  });

  it('shows recent flows, then streamed ones on top, newest first', async () => {
    renderApp(<FlowExplorer />);
    const table = await screen.findByRole('table', { name: 'Flows' });
    await waitFor(() => expect(bodyRows(table)[0]!.textContent).toContain('/items/19'));
    await waitFor(() => expect(screen.getByRole('status', { name: 'Stream: Live' })).toBeTruthy());

    send([makeFlow(21), makeFlow(20)]);
    await waitFor(() => expect(bodyRows(table)[0]!.textContent).toContain('/items/21'));
    expect(bodyRows(table)[1]!.textContent).toContain('/items/20');
    expect(screen.getByText(/Showing 22 of 22 flows/)).toBeTruthy();
  });

  it('filters by verdict, direction, dataplane and text', async () => {
    renderApp(<FlowExplorer />);
    const table = await screen.findByRole('table', { name: 'Flows' });
    await waitFor(() => expect(bodyRows(table)).toHaveLength(20));

    fireEvent.change(screen.getByLabelText('Verdict'), { target: { value: 'error' } });
    // flows 0, 7, 14 are the 503s
    await waitFor(() => expect(bodyRows(table).map((r) => r.textContent?.match(/\/items\/\d+/)?.[0])).toEqual(['/items/14', '/items/7', '/items/0']));

    fireEvent.change(screen.getByLabelText('Verdict'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Direction'), { target: { value: 'inbound' } });
    fireEvent.change(screen.getByLabelText('Dataplane'), { target: { value: 'backend-1' } });
    // inbound = every 5th, backend-1 = odd: 5 and 15
    await waitFor(() => expect(bodyRows(table).map((r) => r.textContent?.match(/\/items\/\d+/)?.[0])).toEqual(['/items/15', '/items/5']));

    fireEvent.change(screen.getByLabelText('Direction'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Dataplane'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Search flows'), { target: { value: '40012' } });
    await waitFor(() => expect(bodyRows(table)).toHaveLength(1));
    expect(bodyRows(table)[0]!.textContent).toContain('/items/12');

    // What the table shows of a request finds it, as does its x-request-id.
    fireEvent.change(screen.getByLabelText('Search flows'), { target: { value: 'GET /items/14 → 503' } });
    await waitFor(() => expect(bodyRows(table).map((r) => r.textContent?.match(/\/items\/\d+/)?.[0])).toEqual(['/items/14']));
    fireEvent.change(screen.getByLabelText('Search flows'), { target: { value: 'r-13' } });
    await waitFor(() => expect(bodyRows(table).map((r) => r.textContent?.match(/\/items\/\d+/)?.[0])).toEqual(['/items/13']));
    // words match anywhere in the row, in any order
    fireEvent.change(screen.getByLabelText('Search flows'), { target: { value: '503 backend-1' } });
    await waitFor(() => expect(bodyRows(table).map((r) => r.textContent?.match(/\/items\/\d+/)?.[0])).toEqual(['/items/7']));

    fireEvent.change(screen.getByLabelText('Search flows'), { target: { value: 'no-such-thing' } });
    expect(await screen.findByText('No flow matches these filters.')).toBeTruthy();
  });

  it('pause freezes the table while the stream keeps filling the buffer', async () => {
    renderApp(<FlowExplorer />);
    const table = await screen.findByRole('table', { name: 'Flows' });
    await waitFor(() => expect(screen.getByRole('status', { name: 'Stream: Live' })).toBeTruthy());
    await waitFor(() => expect(bodyRows(table)).toHaveLength(20));

    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    expect(screen.getByRole('button', { name: 'Resume' }).getAttribute('aria-pressed')).toBe('true');
    send([makeFlow(30)]);
    await waitFor(() => expect(screen.getByText(/1 new since paused/)).toBeTruthy());
    expect(bodyRows(table)[0]!.textContent).toContain('/items/19');

    fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    await waitFor(() => expect(bodyRows(table)[0]!.textContent).toContain('/items/30'));
  });

  it('opens the detail drawer with every field, the policies that acted and the flow diagram', async () => {
    const faulted = makeFlow(40, {
      verdict: 'faulted',
      policies: [{ type: 'MeshFaultInjection', name: 'fi-backend', action: 'delay 200ms' }],
      timings: { connectMs: 0.5, firstByteMs: 203, totalMs: 204 },
    });
    api.on('GET', '/api/flows', (_req, res) => sendJson(res, 200, flowList([faulted])));
    api.on('GET', '/api/meshes/default/dataplanes', (_req, res) =>
      sendJson(res, 200, { total: 1, items: [{ mesh: 'default', name: 'backend-1', address: '198.18.0.3', tags: { 'kuma.io/service': 'backend' } }] }),
    );
    api.on('GET', '/api/flows/f-40/diagram', (_req, res) => sendJson(res, 200, { id: 'f-40', mermaid: 'sequenceDiagram\n  participant C as Client\n  participant P as meshcap dp\n  C->>P: GET /items/40 (0 ms)\n  P-->>C: 200 (204 ms)' }));
    renderApp(<FlowExplorer />);
    const table = await screen.findByRole('table', { name: 'Flows' });
    await waitFor(() => expect(bodyRows(table)).toHaveLength(1));
    fireEvent.click(bodyRows(table)[0]!);

    const drawer = screen.getByRole('dialog', { name: 'Flow details' });
    expect(within(drawer).getByText('f-40')).toBeTruthy();
    expect(within(drawer).getByText('198.18.0.2:40040')).toBeTruthy();
    expect(within(drawer).getAllByText('198.18.0.3:5000').length).toBeGreaterThan(0);
    expect(within(drawer).getByText('r-40')).toBeTruthy();
    // Services named from the dataplane that owns each address: the destination is the backend's; the client no dataplane's.
    const field = (name: string) => within(drawer).getByText(name, { selector: 'dt' }).nextElementSibling!;
    await waitFor(() => expect(within(field('Destination service') as HTMLElement).getByRole('link', { name: 'backend' }).getAttribute('href')).toBe('/meshes/default/services/backend'));
    expect(field('Client service').textContent).toBe('outside the mesh');
    const acted = within(drawer).getByRole('list', { name: 'Policies that acted' });
    expect(acted.textContent).toBe('MeshFaultInjection fi-backend — delay 200ms');
    expect(within(acted).getByRole('link', { name: 'fi-backend' }).getAttribute('href')).toBe('/policies#policy-default-MeshFaultInjection-fi-backend');
    expect(within(drawer).getByRole('link', { name: 'Trace this flow' }).getAttribute('href')).toBe(
      '/meshes/default/dataplanes/frontend-1/rules?tdir=inbound&tsrc=198.18.0.2&tdst=198.18.0.3&tport=5000&trace=1',
    );
    const timings = within(drawer).getByRole('heading', { name: 'Timings' }).parentElement!;
    expect(within(timings).getByText('204 ms')).toBeTruthy();
    const figure = await within(drawer).findByRole('figure', { name: 'Flow sequence diagram' }, { timeout: 10_000 });
    await waitFor(() => expect(figure.querySelector('svg')).toBeTruthy(), { timeout: 10_000 });
    // Participants drawn by mermaid (happy-dom's parser loses what follows the <style> inside
    // <svg> when the sanitizer re-parses it, so message labels are checked in the browser suite).
    expect(figure.textContent).toContain('Client');
    expect(figure.textContent).toContain('meshcap dp');

    fireEvent.click(within(drawer).getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('dialog', { name: 'Flow details' })).toBeNull();
  }, 30_000);

  it("shows what a flow's reason means and Envoy's flag for it, from the control plane's registry", async () => {
    const failed = makeFlow(41, { verdict: 'error', reason: 'upstream_connect_refused: connect ECONNREFUSED 198.18.0.3:5000' });
    api.on('GET', '/api/flows', (_req, res) => sendJson(res, 200, flowList([failed])));
    api.on('GET', '/api/flows/f-41/diagram', (_req, res) => sendJson(res, 200, { id: 'f-41', mermaid: 'sequenceDiagram\n  participant C as Client' }));
    api.on('GET', '/api/flow-reasons', (_req, res) =>
      sendJson(res, 200, {
        total: 2,
        items: [
          { code: 'upstream_connect_timeout', flag: 'UF', means: 'the upstream did not accept the connection in the connect timeout' },
          { code: 'upstream_connect_refused', flag: 'UF', means: 'the upstream refused the connection' },
        ],
      }),
    );
    renderApp(<FlowExplorer />);
    const table = await screen.findByRole('table', { name: 'Flows' });
    await waitFor(() => expect(bodyRows(table)).toHaveLength(1));
    fireEvent.click(bodyRows(table)[0]!);
    const drawer = screen.getByRole('dialog', { name: 'Flow details' });
    expect(within(drawer).getByText('upstream_connect_refused: connect ECONNREFUSED 198.18.0.3:5000')).toBeTruthy();
    const meaning = await within(drawer).findByLabelText('What the reason means');
    expect(meaning.textContent).toBe('the upstream refused the connection · Envoy response flag UF');
  }, 30_000);

  it("lists the hops of the open flow's request (same x-request-id) in order; a hop opens its own details", async () => {
    const http = makeFlow(0).http!;
    const hop = (i: number, dataplane: string, direction: 'inbound' | 'outbound') => makeFlow(i, { dataplane, direction, verdict: 'forwarded', http: { ...http, path: '/', status: 200, requestId: 'rid-7' } });
    const hops = [hop(50, 'client', 'outbound'), hop(51, 'frontend', 'inbound'), hop(52, 'frontend', 'outbound'), hop(53, 'backend', 'inbound')];
    // The frontend's call and the backend's inbound started in the same millisecond: the call encloses it (lasts longer).
    hops[2]!.timings = { ...hops[2]!.timings, totalMs: 5.2 };
    hops[3]!.start = hops[2]!.start;
    api.on('GET', '/api/flows', (req, res) => {
      const requestId = new URL(req.url, 'http://x').searchParams.get('requestId');
      // Newest first, as the API lists them.
      sendJson(res, 200, flowList(requestId === 'rid-7' ? [...hops].reverse() : [...hops, makeFlow(60)].reverse()));
    });
    api.on('GET', '/api/flows/f-52/diagram', (_req, res) => sendJson(res, 200, { id: 'f-52', mermaid: 'sequenceDiagram\n  participant C as Client' }));
    api.on('GET', '/api/flows/f-53/diagram', (_req, res) => sendJson(res, 200, { id: 'f-53', mermaid: 'sequenceDiagram\n  participant C as Client' }));
    renderApp(<FlowExplorer />);
    const table = await screen.findByRole('table', { name: 'Flows' });
    await waitFor(() => expect(bodyRows(table)).toHaveLength(5));
    fireEvent.click(bodyRows(table).find((r) => r.textContent?.includes('frontend') && r.textContent.includes('out →'))!);

    const list = await screen.findByRole('list', { name: 'Hops of this request' });
    await waitFor(() => expect(within(list).getAllByRole('button')).toHaveLength(4));
    const items = within(list).getAllByRole('button');
    expect(items.map((b) => b.textContent?.replace(/\s+/g, ' '))).toEqual([
      '1clientout →GET / → 200forwarded3.1 ms',
      '2frontend→ inGET / → 200forwarded3.1 ms',
      '3frontendout →GET / → 200forwarded5.2 ms',
      '4backend→ inGET / → 200forwarded3.1 ms',
    ]);
    expect(items[2]!.getAttribute('aria-current')).toBe('true');
    expect(screen.getByText(/4 hops/)).toBeTruthy();
    fireEvent.click(items[3]!);
    await waitFor(() => expect(new URL(window.location.href).searchParams.get('flow')).toBe('f-53'));
    await waitFor(() => expect(within(screen.getByRole('list', { name: 'Hops of this request' })).getAllByRole('button')[3]!.getAttribute('aria-current')).toBe('true'));
    // The search finds the request's hops by its id too.
    fireEvent.change(screen.getByLabelText('Search flows'), { target: { value: 'rid-7' } });
    await waitFor(() => expect(bodyRows(table)).toHaveLength(4));
  });

  it('shows a gRPC call as service/method and grpc status name, in the row and the drawer', async () => {
    const call = makeFlow(41, {
      http: { method: 'POST', authority: 'cart:5000', path: '/shop.Cart/Add', status: 200, requestBytes: 12, responseBytes: 0, requestId: 'r-41', attempts: 1, version: 'HTTP/2', grpc: { service: 'shop.Cart', method: 'Add', status: 14, message: 'fault filter abort' } },
      verdict: 'faulted',
    });
    api.on('GET', '/api/flows', (_req, res) => sendJson(res, 200, flowList([call])));
    api.on('GET', '/api/flows/f-41/diagram', (_req, res) => sendJson(res, 200, { id: 'f-41', mermaid: 'sequenceDiagram\n  participant C as Client' }));
    renderApp(<FlowExplorer />);
    const table = await screen.findByRole('table', { name: 'Flows' });
    await waitFor(() => expect(bodyRows(table)).toHaveLength(1));
    expect(bodyRows(table)[0]!.textContent).toContain('gRPC shop.Cart/Add → UNAVAILABLE (14)');
    fireEvent.click(bodyRows(table)[0]!);
    const drawer = screen.getByRole('dialog', { name: 'Flow details' });
    const section = within(drawer).getByText('gRPC call').closest('section')!;
    expect(section.textContent).toContain('shop.Cart');
    expect(section.textContent).toContain('UNAVAILABLE (14)');
    expect(section.textContent).toContain('fault filter abort');
    expect(within(drawer).getByText('HTTP/2')).toBeTruthy();
  }, 30_000);

  it('keeps filters and the open flow in the URL, and restores them from it', async () => {
    const first = renderApp(<FlowExplorer />);
    let table = await screen.findByRole('table', { name: 'Flows' });
    await waitFor(() => expect(bodyRows(table)).toHaveLength(20));
    fireEvent.change(screen.getByLabelText('Verdict'), { target: { value: 'error' } });
    fireEvent.change(screen.getByLabelText('Search flows'), { target: { value: 'GET /items/14' } });
    await waitFor(() => expect(bodyRows(table)).toHaveLength(1));
    fireEvent.click(bodyRows(table)[0]!);
    expect(screen.getByRole('dialog', { name: 'Flow details' })).toBeTruthy();
    const params = new URLSearchParams(window.location.search);
    expect(Object.fromEntries(params)).toEqual({ verdict: 'error', q: 'GET /items/14', flow: 'f-14' });
    expect(window.location.pathname).toBe('/gui/');

    // A fresh page on that URL shows the same view.
    first.unmount();
    renderApp(<FlowExplorer />);
    table = await screen.findByRole('table', { name: 'Flows' });
    await waitFor(() => expect(bodyRows(table)).toHaveLength(1));
    expect(screen.getByLabelText<HTMLSelectElement>('Verdict').value).toBe('error');
    expect(screen.getByLabelText<HTMLInputElement>('Search flows').value).toBe('GET /items/14');
    expect(within(screen.getByRole('dialog', { name: 'Flow details' })).getByText('f-14')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(new URLSearchParams(window.location.search).has('flow')).toBe(false);
    // Back after opening a flow closes it: opening pushed a history entry.
    expect(screen.queryByRole('dialog', { name: 'Flow details' })).toBeNull();
  });

  it('opens a flow named by the URL that this tab never received, from the control plane', async () => {
    api.on('GET', '/api/flows/f-99', (_req, res) => sendJson(res, 200, makeFlow(99)));
    window.history.replaceState(null, '', '/gui/flows?flow=f-99');
    renderApp(<FlowExplorer />);
    const drawer = await screen.findByRole('dialog', { name: 'Flow details' });
    expect(within(drawer).getByText('r-99')).toBeTruthy();
  });

  it('a focused row stays where it is while flows arrive, and the rows are one Tab stop moved with the arrows', async () => {
    renderApp(<FlowExplorer />);
    const table = await screen.findByRole('table', { name: 'Flows' });
    await waitFor(() => expect(screen.getByRole('status', { name: 'Stream: Live' })).toBeTruthy());
    await waitFor(() => expect(bodyRows(table)).toHaveLength(20));
    expect(bodyRows(table).filter((r) => r.tabIndex === 0)).toHaveLength(1);

    const third = bodyRows(table)[2]!;
    expect(third.textContent).toContain('/items/17');
    act(() => bodyRows(table)[0]!.focus());
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowDown' });
    await waitFor(() => expect(document.activeElement?.textContent).toContain('/items/18'));
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowDown' });
    await waitFor(() => expect(document.activeElement).toBe(third));
    expect(third.tabIndex).toBe(0);

    send([makeFlow(21), makeFlow(20)]);
    await waitFor(() => expect(screen.getByText(/2 new held while a row has focus/)).toBeTruthy());
    expect(bodyRows(table)[2]).toBe(third);
    expect(third.getAttribute('aria-rowindex')).toBe('4');
    expect(bodyRows(table)[0]!.textContent).toContain('/items/19');

    // Focus leaves the rows: the new flows show.
    act(() => screen.getByLabelText('Search flows').focus());
    await waitFor(() => expect(bodyRows(table)[0]!.textContent).toContain('/items/21'));
  });
});
