import { canonicalAddress } from '../model/index.ts';
import type { FlowAddress, FlowDirection } from '../flows/index.ts';
import type { ListenerRuntime } from './context.ts';

/** Which listener serves a captured connection, by its original destination (Envoy's use_original_dst hand-off). */
export class ListenerRoutes {
  private readonly exact = new Map<string, ListenerRuntime>();
  private readonly inboundByPort = new Map<number, ListenerRuntime>();

  constructor(listeners: Iterable<ListenerRuntime>) {
    for (const l of listeners) {
      const c = l.config;
      if (c.bind) continue;
      this.exact.set(`${c.direction}|${canonicalAddress(c.address)}|${c.port}`, l);
      if (c.direction === 'inbound' && !this.inboundByPort.has(c.port)) this.inboundByPort.set(c.port, l);
    }
  }

  /**
   * The declared inbound/outbound for `dst`: exact address and port; for inbound, any declared
   * inbound on that port (the connection was captured on this host, so it is for this workload).
   */
  resolve(direction: FlowDirection, dst: FlowAddress): ListenerRuntime | undefined {
    if (this.exact.size === 0) return undefined;
    const hit = this.exact.get(`${direction}|${dst.address}|${dst.port}`);
    if (hit || direction === 'outbound') return hit;
    return this.inboundByPort.get(dst.port);
  }
}
