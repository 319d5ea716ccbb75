import { afterAll, beforeAll, expect, it } from 'vitest';
import type { components } from '@meshcap/web/api-types';
import { api, dataplanePath, describeDemo, eventually, gui, dashboardSession, screenshot, type DemoInfo } from './harness.ts';

type Schemas = components['schemas'];

/**
 * mTLS in the demo, as a user turns it on: the default Mesh gets a builtin CA in PERMISSIVE mode
 * (no outage while certificates arrive), the dataplanes' calls become mTLS with verified SPIFFE
 * identities, and the dashboard shows it per flow (identity verified, peer), per dataplane (its
 * certificate: SANs, not-after, next rotation) and per mesh (the CA and the mode). The spec puts
 * the Mesh back as it found it.
 */
describeDemo('mTLS: identity per flow, a certificate per dataplane, the CA per mesh', (demo) => {
  const session = dashboardSession(demo);
  let original: Record<string, unknown>;

  const applyMesh = (mesh: Record<string, unknown>) => api(demo(), '/api/resources', { method: 'POST', body: mesh });
  const verifiedInbound = (d: DemoInfo, since: number) =>
    eventually(
      'an mTLS-verified inbound flow of the frontend',
      async () => (await api<Schemas['FlowList']>(d, '/api/flows?dataplane=frontend&limit=200')).items.find((f) => f.direction === 'inbound' && f.start >= since && f.tls?.mode === 'mtls' && f.tls.verified),
      60_000,
    );

  beforeAll(async () => {
    original = (await api<Schemas['StoredResource']>(demo(), '/api/meshes/default/resources/Mesh/default').catch(() => ({ resource: { type: 'Mesh', name: 'default' } }))).resource;
    await applyMesh({ ...original, type: 'Mesh', name: 'default', mtls: { enabledBackend: 'ca-e2e', backends: [{ name: 'ca-e2e', type: 'builtin', mode: 'PERMISSIVE' }] } });
  });

  afterAll(async () => {
    await applyMesh(original);
  });

  it("a flow's drawer says its identity was verified over mTLS and names the peer's SPIFFE ID", async () => {
    const since = Date.now();
    const flow = await verifiedInbound(demo(), since);
    const { page } = session();
    await page.goto(gui(demo(), `/flows?flow=${encodeURIComponent(flow.id)}`));
    const drawer = page.getByRole('dialog', { name: 'Flow details' });
    await drawer.waitFor({ timeout: 30_000 });
    await expect.poll(async () => (await drawer.textContent()) ?? '', { timeout: 20_000 }).toContain('verified (mTLS)');
    const text = (await drawer.textContent()) ?? '';
    expect(text).toContain('spiffe://default/client');
    expect(text).toMatch(/TLSv1\.[23]/);
    await screenshot(page, 'flow-mtls');
  });

  it("the dataplane page shows its certificate: SPIFFE SANs, not-after, mode and next rotation", async () => {
    const { page } = session();
    await page.goto(gui(demo(), dataplanePath('frontend')));
    const sans = page.getByRole('list', { name: 'SANs' }).first();
    await expect.poll(async () => (await sans.allTextContents()).join(' '), { timeout: 30_000 }).toContain('spiffe://default/frontend');
    const facts = sans.locator('xpath=ancestor::dl[1]');
    const factsText = (await facts.textContent()) ?? '';
    expect(factsText).toContain('PERMISSIVE');
    expect(factsText).toMatch(/Not after\s*\d{4}-\d{2}-\d{2}/);
    expect(factsText).toMatch(/Next rotation\s*\d{4}-\d{2}-\d{2}/);
    // What the page shows is the control plane's certificate for this dataplane.
    const served = await api<Schemas['DataplaneCertificate']>(demo(), '/api/meshes/default/dataplanes/frontend/certificate');
    expect(factsText).toContain(served.certificate.notAfter);
    await screenshot(page, 'dataplane-mtls');
  });

  it('the mesh page shows the mode, how clients are identified, and the CA', async () => {
    const { page } = session();
    await page.goto(gui(demo(), '/meshes/default'));
    const ca = page.getByRole('region', { name: 'CA ca-e2e' });
    await ca.waitFor({ timeout: 30_000 });
    expect((await ca.textContent()) ?? '').toContain('(enabled)');
    expect((await ca.textContent()) ?? '').toMatch(/Not after\s*\d{4}-/);
    const panel = ca.locator('xpath=..');
    expect((await panel.textContent()) ?? '').toContain('certificate over mTLS, source address for plaintext clients');
    await screenshot(page, 'mesh-mtls');
  });
});
