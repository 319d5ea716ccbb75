import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forgetToken, readToken, saveToken } from '../../../lib/mutation-token.ts';
import { sendJson, startApiFixture, type ApiFixture, type RecordedRequest } from '../../../test/api-fixture.ts';
import { cleanupApp, renderApp } from '../../../test/render-app.tsx';
import type { DataplanePolicies, MatchedPolicy } from '../api/types.ts';
import { DataplanePolicies as DataplanePoliciesView } from './dataplane-policies.tsx';

const PUT_PATH = '/api/meshes/default/dataplanes/backend-1/policies/MeshFaultInjection/fi-backend';
const GET_PATH = '/api/meshes/default/dataplanes/backend-1/policies';

function policies(enabled: boolean, configVersion: string): DataplanePolicies {
  const origin = { type: 'MeshFaultInjection', name: 'fi-backend', mesh: 'default', targetRefKind: 'MeshService', section: 'from' as const, entry: 0, entryTargetRef: { kind: 'Mesh' }, enabled };
  const fault: MatchedPolicy = { type: 'MeshFaultInjection', name: 'fi-backend', mesh: 'default', targetRef: { kind: 'MeshService', name: 'backend' }, enabled, inbounds: ['inbound:198.18.0.3:5000'], outbounds: [], where: ['inbound:198.18.0.3:5000'] };
  const timeout: MatchedPolicy = { type: 'MeshTimeout', name: 'mt-default', mesh: 'default', targetRef: { kind: 'Mesh' }, enabled: true, inbounds: ['inbound:198.18.0.3:5000'], outbounds: [], where: ['inbound:198.18.0.3:5000'] };
  return {
    mesh: 'default',
    dataplane: 'backend-1',
    configVersion,
    policies: [fault, timeout],
    attachments: [
      {
        direction: 'inbound',
        listener: 'inbound:198.18.0.3:5000',
        service: 'backend',
        port: 5000,
        protocol: 'http',
        policies: [
          {
            type: 'MeshFaultInjection',
            rules: enabled ? [{ subset: [], conf: { http: [{ delay: { value: '200ms', percentage: 100 } }] }, origins: [origin] }] : [],
            origins: [origin],
          },
        ],
      },
    ],
    warnings: [],
  };
}

describe('PolicyToggle', () => {
  let api: ApiFixture;
  let state: { enabled: boolean; version: string };
  /** PUT answers wait until the test lets them go, so the optimistic state can be seen. */
  let held: Array<() => void>;
  let putAnswer: (req: RecordedRequest, res: ServerResponse) => void;

  beforeEach(async () => {
    state = { enabled: true, version: '3-aaaaaaaaaaaa' };
    held = [];
    putAnswer = (req, res) => {
      const { enabled } = JSON.parse(req.body) as { enabled: boolean };
      state = { enabled, version: '4-bbbbbbbbbbbb' };
      sendJson(res, 200, { mesh: 'default', dataplane: 'backend-1', type: 'MeshFaultInjection', name: 'fi-backend', enabled, configVersion: state.version });
    };
    api = await startApiFixture();
    api.on('GET', GET_PATH, (_req, res) => sendJson(res, 200, policies(state.enabled, state.version)));
    api.on('PUT', PUT_PATH, (req, res) => void held.push(() => putAnswer(req, res)));
    saveToken('s3cret');
  });
  afterEach(async () => {
    await cleanupApp();
    forgetToken();
    await api.close();
  });

  const faultSwitch = () => screen.getByRole('switch', { name: 'MeshFaultInjection fi-backend' });
  const release = async () => {
    await waitFor(() => expect(held.length).toBe(1));
    held.shift()!();
  };

  it('flips at once, sends the token, and shows the new config version', async () => {
    renderApp(<DataplanePoliciesView mesh="default" name="backend-1" />);
    await waitFor(() => expect(faultSwitch().getAttribute('aria-checked')).toBe('true'));
    expect(screen.getByLabelText('Policies config version').textContent).toBe('3-aaaaaaaaaaaa');

    fireEvent.click(faultSwitch());
    // optimistic: off before the API has answered
    await waitFor(() => expect(faultSwitch().getAttribute('aria-checked')).toBe('false'));
    await waitFor(() => expect(held).toHaveLength(1));
    const put = api.requests.find((r) => r.method === 'PUT')!;
    expect(put.url).toBe(PUT_PATH);
    expect(put.headers.authorization).toBe('Bearer s3cret');
    expect(JSON.parse(put.body)).toEqual({ enabled: false });
    // the other policy did not move
    expect(screen.getByRole('switch', { name: 'MeshTimeout mt-default' }).getAttribute('aria-checked')).toBe('true');

    await release();
    await waitFor(() => expect(screen.getByText(/MeshFaultInjection fi-backend is off for backend-1 — config version 4-bbbbbbbbbbbb/)).toBeTruthy());
    // the policies are read again: the version and the effective conf come from the API
    await waitFor(() => expect(screen.getByLabelText('Policies config version').textContent).toBe('4-bbbbbbbbbbbb'));
    expect(screen.getByText('Every matching entry is off for this dataplane.')).toBeTruthy();
    expect(faultSwitch().getAttribute('aria-checked')).toBe('false');
  });

  it('rolls back and says why when the API refuses', async () => {
    putAnswer = (_req, res) => sendJson(res, 409, { code: 'MESHCAP_ERR_CONFLICT', message: 'the policy was deleted meanwhile', issues: [] });
    renderApp(<DataplanePoliciesView mesh="default" name="backend-1" />);
    await waitFor(() => expect(faultSwitch().getAttribute('aria-checked')).toBe('true'));

    fireEvent.click(faultSwitch());
    await waitFor(() => expect(faultSwitch().getAttribute('aria-checked')).toBe('false'));
    await release();

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('Could not turn MeshFaultInjection fi-backend off: the policy was deleted meanwhile. It is on again.');
    expect(faultSwitch().getAttribute('aria-checked')).toBe('true');
    expect(screen.getByLabelText('Policies config version').textContent).toBe('3-aaaaaaaaaaaa');
    expect(readToken()).toBe('s3cret');
  });

  it('forgets a refused token and rolls back', async () => {
    putAnswer = (_req, res) => sendJson(res, 401, { code: 'MESHCAP_ERR_UNAUTHORIZED', message: 'the token is not valid for this control plane', issues: [] });
    renderApp(<DataplanePoliciesView mesh="default" name="backend-1" />);
    await waitFor(() => expect(faultSwitch().getAttribute('aria-checked')).toBe('true'));
    fireEvent.click(faultSwitch());
    await release();
    expect((await screen.findByRole('alert')).textContent).toContain('the token was refused, enter it again');
    expect(faultSwitch().getAttribute('aria-checked')).toBe('true');
    expect(readToken()).toBeNull();
  });

  it('asks for the token first, and changes nothing when the user cancels', async () => {
    forgetToken();
    renderApp(<DataplanePoliciesView mesh="default" name="backend-1" />);
    await waitFor(() => expect(faultSwitch().getAttribute('aria-checked')).toBe('true'));

    fireEvent.click(faultSwitch());
    const dialog = await screen.findByRole('dialog', { name: 'Control plane token' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(faultSwitch().getAttribute('aria-checked')).toBe('true');
    expect(api.requests.some((r) => r.method === 'PUT')).toBe(false);

    fireEvent.click(faultSwitch());
    const again = await screen.findByRole('dialog', { name: 'Control plane token' });
    fireEvent.change(within(again).getByLabelText('Token'), { target: { value: 'typed-token' } });
    fireEvent.click(within(again).getByRole('button', { name: 'Save token' }));
    await release();
    expect(api.requests.find((r) => r.method === 'PUT')!.headers.authorization).toBe('Bearer typed-token');
    await waitFor(() => expect(faultSwitch().getAttribute('aria-checked')).toBe('false'));
    expect(readToken()).toBe('typed-token');
    await waitFor(() => expect(screen.getByLabelText('Policies config version').textContent).toBe('4-bbbbbbbbbbbb'));
  });
});
