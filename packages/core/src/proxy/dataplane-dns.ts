import { DnsCounters, DnsProxy } from '../dns/server.ts';
import type { ProxyConfig } from './config.ts';
import type { EngineLog } from './context.ts';
import type { ProxyStats } from './stats.ts';

/** The dataplane's DNS proxy (`kuma:dns`) while its config has one, and its counters in `/stats`. */
export class DataplaneDns {
  private dns: DnsProxy | undefined;
  private readonly definedStats = new Set<string>();

  constructor(
    private readonly stats: ProxyStats,
    private readonly log: EngineLog,
  ) {}

  /**
   * Starts, reconfigures or stops the DNS proxy to match the config. A proxy that cannot open its
   * sockets throws MeshcapError (the caller NACKs); a running one keeps its sockets if the new ones fail.
   */
  async sync(config: ProxyConfig): Promise<void> {
    if (!config.dns) {
      await this.stop();
      return;
    }
    if (this.dns) {
      await this.dns.update(config.dns);
    } else {
      const dns = new DnsProxy(config.dns, { log: (level, message) => this.log(level, message) });
      await dns.start();
      this.dns = dns;
      const where = config.dns.addresses.map((a) => (a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`)).join(', ');
      this.log('info', `${config.dns.name}: DNS proxy on ${where} (UDP and TCP), ${config.dns.domains.size} mesh names`);
    }
    // Counters by Envoy's names (`dns_filter.<stat_prefix>.*`), read from whichever proxy is running.
    const statPrefix = config.dns.statPrefix;
    const prefix = `dns_filter.${statPrefix}`;
    if (!this.definedStats.has(prefix)) {
      this.definedStats.add(prefix);
      for (const key of Object.keys(new DnsCounters()) as Array<keyof DnsCounters>) {
        this.stats.define(`${prefix}.${key}`, () => (this.dns?.statPrefix === statPrefix ? this.dns.counters[key] : 0));
      }
    }
  }

  async stop(): Promise<void> {
    const old = this.dns;
    this.dns = undefined;
    await old?.stop();
  }
}
