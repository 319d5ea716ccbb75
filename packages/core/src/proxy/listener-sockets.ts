import net, { type Socket } from 'node:net';
import { listenOnSocket } from '@meshcap/native';
import { MeshcapError } from '../errors.ts';
import type { ListenerConfig, ProxyConfig } from './config.ts';

/** One listening socket; several config versions may hand it to differently named listeners. */
export interface BoundServer {
  readonly key: string;
  readonly server: net.Server;
  /** Name of the listener this socket serves (looked up in the active config at each accept). */
  listener: string;
}

/** Listeners with the same address, port and mode share a socket across config versions. */
function bindKey(l: ListenerConfig): string {
  return `${l.address}|${l.port}|${l.transparent ? 'transparent' : ''}`;
}

/**
 * The dataplane's listening sockets: opened for the listeners of a config that bind, kept open
 * across versions (so a config change never drops the port), closed when no listener wants them.
 */
export class ListenerSockets {
  private readonly servers = new Map<string, BoundServer>();

  constructor(
    private readonly onConnection: (bound: BoundServer, socket: Socket) => void,
    private readonly log: (message: string) => void,
    /** SO_REUSEPORT on every socket: one engine thread of several on the same ports (dp --workers). */
    private readonly reusePort = false,
  ) {}

  /** Opens sockets for listeners that bind and are not open yet; closes those no longer wanted. All or nothing. */
  async sync(config: ProxyConfig): Promise<void> {
    const wanted = new Map<string, ListenerConfig>();
    for (const l of config.listeners) if (l.bind) wanted.set(bindKey(l), l);
    const opened: BoundServer[] = [];
    try {
      for (const [key, l] of wanted) {
        const existing = this.servers.get(key);
        if (existing) {
          existing.listener = l.name;
          continue;
        }
        const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
        const bound: BoundServer = { key, server, listener: l.name };
        server.on('connection', (socket: Socket) => this.onConnection(bound, socket));
        await this.listen(l, bound);
        opened.push(bound);
        this.servers.set(key, bound);
      }
    } catch (err) {
      this.close(opened);
      throw err;
    }
    this.close([...this.servers.values()].filter((b) => !wanted.has(b.key)));
  }

  /** Stops accepting on every socket; connections already accepted carry on. */
  closeAll(): void {
    this.close([...this.servers.values()]);
  }

  private close(list: BoundServer[]): void {
    for (const b of list) {
      this.servers.delete(b.key);
      b.server.close();
    }
  }

  private async listen(l: ListenerConfig, bound: BoundServer): Promise<void> {
    const server = bound.server;
    try {
      // Node 20's net.Server has no reusePort (22.12 and 23.1 added it to listen()), and none of
      // them sets IP_TRANSPARENT: the addon makes those sockets on every Node version, one path.
      if (l.transparent || this.reusePort) {
        await listenOnSocket(server, { host: l.address, port: l.port, ipv6Only: net.isIP(l.address) === 6, transparent: l.transparent, reusePort: this.reusePort });
      } else {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: l.address, port: l.port, ipv6Only: net.isIP(l.address) === 6, backlog: 511 }, () => {
            server.off('error', reject);
            resolve();
          });
        });
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const code = e.code === 'EACCES' || e.code === 'EPERM' ? 'MESHCAP_ERR_PERMISSION' : 'MESHCAP_ERR_LISTEN';
      throw new MeshcapError(code, `listener ${l.name}: cannot listen on ${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}${l.transparent ? ' (transparent)' : ''}: ${e.code ?? e.message}`, [], { cause: err });
    }
    server.on('error', (err) => this.log(`listener ${bound.listener}: ${err.message}`));
  }
}
