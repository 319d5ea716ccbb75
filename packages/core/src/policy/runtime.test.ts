import { describe, expect, it } from 'vitest';
import { parseResources } from '../model/parse.ts';
import { identityOf, inboundRuleFor, normalizeAddress, permissionFor } from './runtime.ts';
import { PolicyCompiler } from './state.ts';
import { dataplane, http } from './test-fixtures.ts';

describe('permissionFor', () => {
  const compiler = new PolicyCompiler();
  compiler.applyAll([
    dataplane({ name: 'payments-1', address: '198.18.2.1', inbound: [{ port: 8080, tags: http('payments', { app: 'payments' }) }] }),
    dataplane({ name: 'orders-1', address: '198.18.2.2', inbound: [{ port: 8080, tags: http('orders') }] }),
    dataplane({ name: 'shop-1', address: '2001:2::3', inbound: [{ port: 8080, tags: http('shop') }] }),
    // An IPv6 address written as the kernel never prints it: its connections come from 2001:2::a.
    dataplane({ name: 'orders-6', address: '2001:2:0:0::A', inbound: [{ port: 8080, tags: http('orders') }] }),
    // Kuma docs, meshtrafficpermission.md "Service 'payments' allows requests from 'orders'".
    ...parseResources(`type: MeshTrafficPermission
name: allow-orders
mesh: default
spec:
  targetRef: # 1
    kind: MeshSubset
    tags:
      app: payments
  from:
    - targetRef: # 2
        kind: MeshSubset
        tags: 
          kuma.io/service: orders
      default: # 3
        action: Allow
`),
  ]);
  const payments = compiler.compile('default', 'payments-1');
  const inbound = payments.inbounds[0]!;

  it.each([
    ['orders (its dataplane address)', '198.18.2.2', 'Allow'],
    ['orders through a dual-stack socket', '::ffff:198.18.2.2', 'Allow'],
    ['another mesh service', '2001:2::3', 'Deny'],
    ['orders from an IPv6 address its Dataplane writes in another form', '2001:2::a', 'Allow'],
    ['an address no dataplane owns', '198.18.2.99', 'Deny'],
  ])('%s → %s', (_name, address, action) => {
    expect(permissionFor(inbound, payments.identities, address)?.action).toBe(action);
  });

  it('names the rule and the policy that decided', () => {
    expect(permissionFor(inbound, payments.identities, '198.18.2.2')?.rule?.origins.map((o) => o.name)).toEqual(['allow-orders']);
  });

  it('has no decision where no MeshTrafficPermission applies (traffic passes)', () => {
    const orders = compiler.compile('default', 'orders-1');
    expect(permissionFor(orders.inbounds[0]!, orders.identities, '198.18.2.1')).toBeUndefined();
  });

  it('finds identities by address, IPv4-mapped or not', () => {
    expect(identityOf(payments.identities, '::ffff:198.18.2.2')?.dataplanes).toEqual(['orders-1']);
    expect(normalizeAddress('2001:2::3')).toBe('2001:2::3');
    expect(inboundRuleFor(inbound, 'MeshTimeout', payments.identities, '198.18.2.2')).toBeUndefined();
  });
});
