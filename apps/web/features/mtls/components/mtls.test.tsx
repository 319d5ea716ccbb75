import { cleanup, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiFixture, sendJson, type ApiFixture } from '../../../test/api-fixture.ts';
import { makeFlow } from '../../../test/flow-fixtures.ts';
import { cleanupApp, renderApp } from '../../../test/render-app.tsx';
import { FlowDrawer } from '../../flows/components/flow-drawer.tsx';
import type { Flow } from '../../flows/api/types.ts';
import type { Certificate } from '../api/types.ts';
import { DataplaneCertificatePanel } from './dataplane-certificate.tsx';
import { MeshMtlsPanel } from './mesh-mtls.tsx';

const cert = (sans: string[]): Certificate => ({
  subject: 'O=Kuma, OU=Mesh, CN=web',
  issuer: 'O=Kuma, OU=Mesh, CN=default',
  serial: '01',
  notBefore: '2026-12-03T10:00:00.000Z',
  notAfter: '2026-12-04T10:00:00.000Z',
  sans,
  fingerprint256: 'AA:BB',
});

describe('mTLS in the dashboard', () => {
  let api: ApiFixture;
  beforeEach(async () => {
    api = await startApiFixture();
  });
  afterEach(async () => {
    await cleanupApp();
    await api.close();
    cleanup();
  });

  it("shows a dataplane's certificate: SANs, not-after, next rotation", async () => {
    api.on('GET', '/api/meshes/default/dataplanes/web/certificate', (_req, res) =>
      sendJson(res, 200, { mesh: 'default', dataplane: 'web', backend: 'ca-1', mode: 'STRICT', certificate: cert(['spiffe://default/web', 'kuma://version/v1']), nextRotation: '2026-12-04T05:12:00.000Z' }),
    );
    renderApp(<DataplaneCertificatePanel mesh="default" name="web" />);
    const dl = await screen.findByLabelText('Dataplane certificate');
    const sans = within(dl).getByRole('list', { name: 'SANs' });
    expect(within(sans).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['spiffe://default/web', 'kuma://version/v1']);
    expect(dl.textContent).toContain('2026-12-04T10:00:00.000Z');
    expect(dl.textContent).toContain('2026-12-04T05:12:00.000Z');
    expect(dl.textContent).toContain('STRICT');
  });

  it('says when a dataplane has no certificate (mTLS off)', async () => {
    api.on('GET', '/api/meshes/default/dataplanes/web/certificate', (_req, res) => sendJson(res, 404, { code: 'MESHCAP_ERR_NOT_FOUND', message: 'no certificate' }));
    renderApp(<DataplaneCertificatePanel mesh="default" name="web" />);
    expect(await screen.findByText(/No certificate: mTLS is off/)).toBeTruthy();
  });

  it("shows the mesh's mode and CA", async () => {
    api.on('GET', '/api/meshes/default/mtls', (_req, res) =>
      sendJson(res, 200, { mesh: 'default', enabled: true, mode: 'PERMISSIVE', enabledBackend: 'ca-1', dpCertExpiration: '24h', identity: 'certificate-or-address', cas: [{ backend: 'ca-1', enabled: true, certificate: cert(['spiffe://default']) }] }),
    );
    renderApp(<MeshMtlsPanel mesh="default" />);
    const ca = await screen.findByRole('region', { name: 'CA ca-1' });
    expect(ca.textContent).toContain('O=Kuma, OU=Mesh, CN=web');
    expect(ca.textContent).toContain('2026-12-04T10:00:00.000Z');
    await waitFor(() => expect(screen.getByText('PERMISSIVE')).toBeTruthy());
    expect(screen.getByText(/certificate over mTLS, source address for plaintext clients/)).toBeTruthy();
  });

  it('the flow drawer says whether the identity was verified, and whose', async () => {
    api.on('GET', '/api/flows/f-1/diagram', (_req, res) => sendJson(res, 200, { id: 'f-1', mermaid: 'sequenceDiagram\n  A->>B: x' }));
    const flow: Flow = { ...makeFlow(1), tls: { mode: 'mtls', verified: true, peer: ['spiffe://default/web'], version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' } };
    const { unmount } = renderApp(<FlowDrawer flow={flow} onClose={() => {}} />);
    expect(screen.getByText('verified (mTLS)')).toBeTruthy();
    expect(screen.getByText('spiffe://default/web')).toBeTruthy();
    expect(screen.getByText(/TLSv1.3 TLS_AES_256_GCM_SHA384/)).toBeTruthy();
    unmount();
    renderApp(<FlowDrawer flow={{ ...makeFlow(2), tls: { mode: 'plaintext', verified: false } }} onClose={() => {}} />);
    expect(screen.getByText('source address (plaintext, PERMISSIVE)')).toBeTruthy();
  });
});
