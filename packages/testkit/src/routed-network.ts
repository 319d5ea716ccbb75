import type { Host, Lab } from './lab.ts';

/**
 * Several machines on a routed network, simulated: each host is a network namespace on its own
 * /24 subnet of 198.18.0.0/15 (`198.18.<first + i>.0/24`), and one router namespace between them
 * holds the `.1` of every subnet and forwards (ip_forward in its namespace only). Hosts reach each
 * other only through the router, as machines on different subnets do; the root namespace is
 * never touched. Host `i` has `.10`, and `.11`, `.12`… when it asks for more addresses (two
 * control plane replicas on one machine, each with its own address).
 */
export interface RoutedHost {
  host: Host;
  /** `198.18.<n>.10`, then the extra ones. */
  addresses: string[];
  /** `198.18.<n>.0/24`. */
  subnet: string;
}

export interface RoutedNetwork {
  router: Host;
  hosts: Record<string, RoutedHost>;
}

export interface RoutedHostSpec {
  label: string;
  /** Addresses on the host's subnet (default 1). */
  addresses?: number;
}

export async function routedNetwork(lab: Lab, specs: ReadonlyArray<string | RoutedHostSpec>, opts: { firstSubnet?: number } = {}): Promise<RoutedNetwork> {
  const first = opts.firstSubnet ?? 40;
  if (first < 0 || first + specs.length > 255) throw new Error(`routedNetwork: subnets 198.18.${first}…${first + specs.length - 1} are out of range`);
  const router = await lab.host('router');
  await router.sh('sysctl -qw net.ipv4.ip_forward=1');
  const hosts: Record<string, RoutedHost> = {};
  for (const [i, spec] of specs.entries()) {
    const { label, addresses = 1 } = typeof spec === 'string' ? { label: spec } : spec;
    const net = `198.18.${first + i}`;
    const host = await lab.host(label);
    const own = Array.from({ length: addresses }, (_, k) => `${net}.${10 + k}`);
    const link = await lab.link(router, host, { a: [`${net}.1/24`], b: own.map((a) => `${a}/24`) });
    await host.run('ip', ['route', 'add', 'default', 'via', `${net}.1`, 'dev', link.bIf]);
    hosts[label] = { host, addresses: own, subnet: `${net}.0/24` };
  }
  return { router, hosts };
}
