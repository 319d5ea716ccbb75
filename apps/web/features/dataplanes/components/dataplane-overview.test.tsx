import { render, screen, within, cleanup } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { DataplanePort } from '../api/types.ts';
import { PortCards } from './dataplane-overview.tsx';

const OUTBOUNDS: DataplanePort[] = [
  {
    listener: 'outbound:240.0.0.3:80',
    address: '240.0.0.3',
    port: 80,
    protocol: 'http',
    service: 'backend',
    tags: { 'kuma.io/service': 'backend' },
    vip: '240.0.0.3',
    dnsNames: ['backend.mesh', 'backend.svc.mesh.local'],
    stats: {},
  },
  { listener: 'outbound:127.0.0.1:10001', address: '127.0.0.1', port: 10001, protocol: 'tcp', service: 'db', tags: { 'kuma.io/service': 'db' }, stats: {} },
];

describe('PortCards', () => {
  afterEach(() => cleanup());

  it("shows the DNS name and VIP of a mesh service's outbound, and none for a declared one", () => {
    render(<PortCards title="Outbounds" ports={OUTBOUNDS} empty="none" />);
    const backend = screen.getByRole('article', { name: 'outbound:240.0.0.3:80' });
    const dns = within(backend).getByLabelText('DNS of backend');
    expect(dns.textContent).toBe('backend.mesh → VIP 240.0.0.3 (+1 names)');
    const db = screen.getByRole('article', { name: 'outbound:127.0.0.1:10001' });
    expect(within(db).queryByLabelText('DNS of db')).toBeNull();
  });
});
