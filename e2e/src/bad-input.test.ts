import { expect, it } from 'vitest';
import type { components } from '@meshcap/web/api-types';
import { api, dataplanePath, describeDemo, gui, dashboardSession, screenshot } from './harness.ts';

type Summary = components['schemas']['DataplaneDetail'];
type Policies = components['schemas']['DataplanePolicies'];

describeDemo('bad input: a clear error, and nothing changes', (demo) => {
  const session = dashboardSession(demo);

  it('a trace with a malformed address is refused with a message naming the field', async () => {
    const { page } = session();
    const before = await api<Summary>(demo(), '/api/meshes/default/dataplanes/frontend');
    await page.goto(gui(demo(), dataplanePath('frontend', 'rules')));
    const form = page.getByRole('form', { name: 'Trace a packet' });
    await form.waitFor();
    await form.getByLabel('Source address').fill('198.18.10.2');
    await form.getByLabel('Destination address').fill('198.18.10.300');
    await form.getByLabel('Destination port').fill('8080');
    await form.getByRole('button', { name: 'Trace' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Trace failed' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('MESHCAP_ERR_');
    // The API's issue is on the field it names, in words, once.
    const dst = form.getByLabel('Destination address');
    expect(await dst.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator(`[id="${await dst.getAttribute('aria-describedby')}"]`).textContent()).toBe('Destination address not an IPv4 or IPv6 address');
    expect(await page.getByText('not an IPv4 or IPv6 address').count()).toBe(1);
    // Nothing was traced, nothing highlighted, nothing changed.
    expect(await page.getByRole('status', { name: 'Trace result' }).count()).toBe(0);
    expect(await page.locator('tr[data-mark]').count()).toBe(0);
    expect((await api<Summary>(demo(), '/api/meshes/default/dataplanes/frontend')).configVersion).toBe(before.configVersion);
    await screenshot(page, 'bad-input-trace');
  });

  it('a policy switch with a refused token flips back and says why; the policy stays on', async () => {
    const { page } = session();
    const before = await api<Summary>(demo(), '/api/meshes/default/dataplanes/backend');
    await page.goto(gui(demo(), dataplanePath('backend', 'policies')));
    // Replace the good token with a wrong one, as a user mistyping it would.
    await page.evaluate(() => window.sessionStorage.setItem('meshcap.token', 'not-the-token-0123456789'));
    const toggle = page.getByRole('switch', { name: 'MeshFaultInjection demo-delay' });
    await toggle.waitFor();
    expect(await toggle.getAttribute('aria-checked')).toBe('true');
    await toggle.click();
    const alert = page.getByRole('alert').filter({ hasText: 'Could not turn MeshFaultInjection demo-delay off' });
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/token was refused/);
    await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('true');
    const policies = await api<Policies>(demo(), '/api/meshes/default/dataplanes/backend/policies');
    expect(policies.policies.find((p) => p.type === 'MeshFaultInjection' && p.name === 'demo-delay')?.enabled).toBe(true);
    expect((await api<Summary>(demo(), '/api/meshes/default/dataplanes/backend')).configVersion).toBe(before.configVersion);
    await screenshot(page, 'bad-input-token');
  });
});
