import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendJson, startApiFixture, type ApiFixture } from '../../../test/api-fixture.ts';
import { cleanupApp, renderApp } from '../../../test/render-app.tsx';
import type { Rule, RuleRef, RulesResult, TraceResult } from '../api/types.ts';
import { RulesTab } from './rules-tab.tsx';

const BASE = '/api/meshes/default/dataplanes/frontend';

const rule = (chain: string, index: number, text: string, ours: boolean, packets: number): Rule => ({
  backend: 'iptables',
  family: 'ip',
  table: 'nat',
  chain,
  index,
  text,
  ours,
  counters: { packets, bytes: packets * 60 },
  ...(ours ? { comment: 'meshcap/outbound' } : {}),
  matches: [],
  actions: [],
});

const RULES: RulesResult = {
  ruleset: {
    tables: [
      {
        backend: 'iptables',
        family: 'ip',
        name: 'nat',
        flavour: 'nft',
        chains: [
          { name: 'OUTPUT', base: { hook: 'OUTPUT', priority: -100, type: 'nat' }, policy: 'ACCEPT', counters: { packets: 3, bytes: 180 }, rules: [rule('OUTPUT', 1, '-A OUTPUT -p tcp -j KUMA_MESH_OUTBOUND', true, 42)] },
          {
            name: 'KUMA_MESH_OUTBOUND',
            rules: [
              rule('KUMA_MESH_OUTBOUND', 1, '-A KUMA_MESH_OUTBOUND -o lo -d 127.0.0.1/32 -j RETURN', true, 5),
              rule('KUMA_MESH_OUTBOUND', 2, '-A KUMA_MESH_OUTBOUND -j KUMA_MESH_OUTBOUND_REDIRECT', true, 37),
            ],
          },
          { name: 'KUMA_MESH_OUTBOUND_REDIRECT', rules: [rule('KUMA_MESH_OUTBOUND_REDIRECT', 1, '-A KUMA_MESH_OUTBOUND_REDIRECT -p tcp -j REDIRECT --to-ports 15001', true, 37)] },
          { name: 'DOCKER', rules: [rule('DOCKER', 1, '-A DOCKER -i docker0 -j RETURN', false, 0)] },
        ],
      },
    ],
    sources: [
      { kind: 'iptables-save', family: 'ip', flavour: 'nft', origin: 'iptables-nft-save' },
      { kind: 'iptables-save', family: 'ip', flavour: 'legacy', origin: 'iptables-legacy-save', unreadable: 'iptables-legacy-save is not readable by this process (Permission denied)' },
    ],
    warnings: [],
  },
  local: { interfaces: [] },
};

const ref = (chain: string, index: number): RuleRef => {
  const r = RULES.ruleset.tables[0]!.chains.find((c) => c.name === chain)!.rules[index - 1]!;
  return { backend: r.backend, family: r.family, table: r.table, chain: r.chain, index: r.index, text: r.text, ours: r.ours };
};

const TRACE: TraceResult = {
  packet: { direction: 'outbound', src: '198.18.10.2', dst: '198.18.10.3', dstPort: 5000, proto: 'tcp' },
  family: 'ipv4',
  certain: true,
  verdict: { kind: 'captured', mechanism: 'REDIRECT', port: 15001 },
  decidedBy: { kind: 'rule', rule: ref('KUMA_MESH_OUTBOUND_REDIRECT', 1) },
  steps: [
    { hook: 'OUTPUT', backend: 'iptables', family: 'ip', table: 'nat', chain: 'OUTPUT', kind: 'rule', rule: ref('OUTPUT', 1), result: 'matched', action: 'jump KUMA_MESH_OUTBOUND' },
    { hook: 'OUTPUT', backend: 'iptables', family: 'ip', table: 'nat', chain: 'KUMA_MESH_OUTBOUND', kind: 'rule', rule: ref('KUMA_MESH_OUTBOUND', 1), result: 'not-matched' },
    { hook: 'OUTPUT', backend: 'iptables', family: 'ip', table: 'nat', chain: 'KUMA_MESH_OUTBOUND', kind: 'rule', rule: ref('KUMA_MESH_OUTBOUND', 2), result: 'matched', action: 'jump KUMA_MESH_OUTBOUND_REDIRECT' },
    { hook: 'OUTPUT', backend: 'iptables', family: 'ip', table: 'nat', chain: 'KUMA_MESH_OUTBOUND_REDIRECT', kind: 'rule', rule: ref('KUMA_MESH_OUTBOUND_REDIRECT', 1), result: 'matched', action: 'REDIRECT to 127.0.0.1:15001' },
  ],
  outcomes: [],
  unknowns: [],
  assumptions: [],
  explorationLimited: false,
};

describe('RulesTab', () => {
  let api: ApiFixture;
  beforeEach(async () => {
    api = await startApiFixture();
    api.on('GET', `${BASE}/rules`, (_req, res) => sendJson(res, 200, RULES));
    api.on('GET', BASE, (_req, res) => sendJson(res, 200, { mesh: 'default', name: 'frontend', address: '198.18.10.2' }));
  });
  afterEach(async () => {
    await cleanupApp();
    await api.close();
  });

  const rowOf = (text: string) => screen.getByText(text, { exact: false, selector: 'td' }).closest('tr')!;

  it('groups the rules by table and chain with their counters, ours marked', async () => {
    renderApp(<RulesTab mesh="default" name="frontend" />);
    const nat = await screen.findByRole('region', { name: 'ip nat table' });
    expect(within(nat).getAllByRole('heading', { level: 4 }).map((h) => h.textContent)).toEqual(['OUTPUT', 'KUMA_MESH_OUTBOUND', 'KUMA_MESH_OUTBOUND_REDIRECT', 'DOCKER']);
    const redirect = rowOf('REDIRECT --to-ports 15001');
    expect(redirect.textContent).toContain('37');
    expect(redirect.textContent).toContain('meshcap');
    expect(rowOf('-A DOCKER').textContent).not.toContain('meshcap');
    expect(screen.getByText('3 pkts · 180 B')).toBeTruthy();
  });

  it('traces a packet and highlights the path and the deciding rule', async () => {
    api.on('POST', `${BASE}/trace`, (_req, res) => sendJson(res, 200, TRACE));
    renderApp(<RulesTab mesh="default" name="frontend" />);
    await screen.findByText('-A KUMA_MESH_OUTBOUND_REDIRECT -p tcp -j REDIRECT --to-ports 15001', { exact: false });

    fireEvent.change(screen.getByLabelText('Direction'), { target: { value: 'outbound' } });
    fireEvent.change(screen.getByLabelText('Source address'), { target: { value: '198.18.10.2' } });
    fireEvent.change(screen.getByLabelText('Destination address'), { target: { value: '198.18.10.3' } });
    fireEvent.change(screen.getByLabelText('Destination port'), { target: { value: '8080' } });
    fireEvent.click(screen.getByRole('button', { name: 'Trace' }));

    const result = await screen.findByRole('status', { name: 'Trace result' });
    expect(result.textContent).toContain('Verdict: captured by REDIRECT to port 15001');
    const sent = JSON.parse(api.requests.find((r) => r.method === 'POST')!.body) as unknown;
    expect(sent).toEqual({ direction: 'outbound', src: '198.18.10.2', dst: '198.18.10.3', dstPort: 8080, proto: 'tcp' });

    const decided = rowOf('REDIRECT --to-ports 15001');
    expect(decided.getAttribute('aria-current')).toBe('step');
    expect(decided.dataset.mark).toBe('decided');
    expect(rowOf('-o lo -d 127.0.0.1/32').dataset.mark).toBe('visited');
    expect(rowOf('-j KUMA_MESH_OUTBOUND_REDIRECT').dataset.mark).toBe('matched');
    expect(rowOf('-A DOCKER').dataset.mark).toBeUndefined();
  });

  it('keeps the trace inputs in the URL, and runs a trace the URL asks for (Trace this flow)', async () => {
    api.on('POST', `${BASE}/trace`, (_req, res) => sendJson(res, 200, TRACE));
    window.history.replaceState(null, '', `${window.location.pathname}?tdir=inbound&tsrc=198.18.10.4&tdst=198.18.10.2&tport=5000&trace=1`);
    renderApp(<RulesTab mesh="default" name="frontend" />);
    await screen.findByRole('status', { name: 'Trace result' });
    const posts = () => api.requests.filter((r) => r.method === 'POST');
    expect(posts().map((r) => JSON.parse(r.body) as unknown)).toEqual([{ direction: 'inbound', src: '198.18.10.4', dst: '198.18.10.2', dstPort: 5000, proto: 'tcp' }]);
    expect(screen.getByLabelText<HTMLSelectElement>('Direction').value).toBe('inbound');
    expect(screen.getByLabelText<HTMLInputElement>('Destination port').value).toBe('5000');

    // Editing a field writes it to the URL and drops `trace=1` (the result shown is of the old inputs).
    fireEvent.change(screen.getByLabelText('Destination port'), { target: { value: '5001' } });
    let params = new URL(window.location.href).searchParams;
    expect([params.get('tport'), params.get('trace')]).toEqual(['5001', null]);
    fireEvent.click(screen.getByRole('button', { name: 'Trace' }));
    await waitFor(() => expect(posts()).toHaveLength(2));
    params = new URL(window.location.href).searchParams;
    expect(Object.fromEntries(params)).toEqual({ tdir: 'inbound', tsrc: '198.18.10.4', tdst: '198.18.10.2', tport: '5001', trace: '1' });
    // Once per submit: the URL change the submit made does not trace again.
    await new Promise((r) => setTimeout(r, 100));
    expect(posts()).toHaveLength(2);
  });

  it('gives the rule text the width: #, Packets and Bytes are narrow columns with visible headers', async () => {
    renderApp(<RulesTab mesh="default" name="frontend" />);
    const table = await screen.findByRole('table', { name: 'ip nat KUMA_MESH_OUTBOUND_REDIRECT rules' });
    // A fixed table layout takes its widths from the first row, which is the header: without
    // widths there, four equal columns gave the counters three quarters of the table.
    const cols = [...table.querySelectorAll('col')].map((c) => [c.dataset.column, c.className]);
    expect(cols).toEqual([
      ['index', 'w-10'],
      ['packets', 'w-20'],
      ['bytes', 'w-20'],
      ['rule', ''],
    ]);
    const headers = within(table).getAllByRole('columnheader');
    expect(headers.map((h) => h.textContent)).toEqual(['#', 'Packets', 'Bytes', 'Rule']);
    expect(table.querySelector('thead')!.className).not.toContain('sr-only');
  });

  it('says which rule sources it could not read as a note, not as a warning', async () => {
    renderApp(<RulesTab mesh="default" name="frontend" />);
    expect(await screen.findByText(/not listed: iptables-legacy-save \(only root may list legacy tables\)/)).toBeTruthy();
    expect(screen.queryByRole('list', { name: 'Rule reader warnings' })).toBeNull();
    expect(document.body.textContent).not.toContain('Permission denied');
  });

  it("starts the source at the dataplane's address until one is typed", async () => {
    renderApp(<RulesTab mesh="default" name="frontend" />);
    const src = screen.getByLabelText<HTMLInputElement>('Source address');
    await waitFor(() => expect(src.value).toBe('198.18.10.2'));
    fireEvent.change(src, { target: { value: '198.18.10.9' } });
    expect(src.value).toBe('198.18.10.9');
  });

  it("shows the API's field issues once, on the fields they name, in words", async () => {
    api.on('POST', `${BASE}/trace`, (_req, res) =>
      sendJson(res, 400, {
        code: 'MESHCAP_ERR_INVALID_REQUEST',
        message: 'body.dstPort: Invalid input: expected number, received null',
        issues: [{ path: 'body.dstPort', message: 'Invalid input: expected number, received null' }],
      }),
    );
    renderApp(<RulesTab mesh="default" name="frontend" />);
    await screen.findByText('-A DOCKER -i docker0 -j RETURN', { exact: false });
    fireEvent.change(screen.getByLabelText('Destination address'), { target: { value: '198.18.10.3' } });
    await waitFor(() => expect(screen.getByLabelText<HTMLInputElement>('Source address').value).toBe('198.18.10.2'));
    fireEvent.change(screen.getByLabelText('Destination port'), { target: { value: 'http' } });
    fireEvent.click(screen.getByRole('button', { name: 'Trace' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('Trace failed: fix the highlighted field.MESHCAP_ERR_INVALID_REQUEST');
    const port = screen.getByLabelText('Destination port');
    expect(port.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(port.getAttribute('aria-describedby')!)!.textContent).toBe('Destination port must be a number');
    expect(screen.getByLabelText('Destination address').getAttribute('aria-invalid')).toBeNull();
    // Once: neither the raw zod text nor the issue path is shown anywhere.
    expect(document.body.textContent).not.toContain('expected number');
    expect(document.body.textContent).not.toContain('body.dstPort');
  });

  it('shows the API error for bad input and highlights nothing', async () => {
    api.on('POST', `${BASE}/trace`, (_req, res) =>
      sendJson(res, 400, { code: 'MESHCAP_ERR_INVALID_REQUEST', message: 'body.dst: not an IPv4 or IPv6 address', issues: [{ path: 'body.dst', message: 'not an IPv4 or IPv6 address' }] }),
    );
    renderApp(<RulesTab mesh="default" name="frontend" />);
    await screen.findByText('-A DOCKER -i docker0 -j RETURN', { exact: false });
    fireEvent.change(screen.getByLabelText('Source address'), { target: { value: '198.18.10.2' } });
    fireEvent.change(screen.getByLabelText('Destination address'), { target: { value: 'backend' } });
    fireEvent.change(screen.getByLabelText('Destination port'), { target: { value: '8080' } });
    fireEvent.click(screen.getByRole('button', { name: 'Trace' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Trace failed');
    expect(screen.getByLabelText('Destination address').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('Destination address not an IPv4 or IPv6 address')).toBeTruthy();
    await waitFor(() => expect(screen.queryByRole('status', { name: 'Trace result' })).toBeNull());
    expect(document.querySelectorAll('tr[data-mark]')).toHaveLength(0);
  });
});
