import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket, type Packet, type Question } from 'dns-packet';
import { MeshcapError } from '../errors.ts';
import { dnsKey, type DnsAddress, type DnsProxyConfig, type DnsRecord } from './config.ts';
import { systemResolvers } from './resolv-conf.ts';

/**
 * The dataplane's DNS proxy (kuma-dp's embedded DNS, on 15053 for UDP and TCP): names of the mesh
 * (`backend.mesh`) get their virtual IPs from the table the control plane sent; every other name
 * is forwarded to the namespace's own resolvers, with a lookup budget, a bound on lookups in flight
 * and a bounded answer cache. The wire format is dns-packet's; a query it cannot read, or one that
 * is not a single well-formed question, gets FORMERR. Nothing a client sends can throw out of here.
 */

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const QR = 0x8000;
const RD = dnsPacket.RECURSION_DESIRED;
const RA = dnsPacket.RECURSION_AVAILABLE;
const AA = dnsPacket.AUTHORITATIVE_ANSWER;
const TC = dnsPacket.TRUNCATED_RESPONSE;

/** A query longer than this is not a query (RFC 6891's largest sensible EDNS payload). */
export const MAX_QUERY_BYTES = 4096;
/** Answers a TCP client may leave unread before it is closed. */
const MAX_TCP_BUFFERED = 256 * 1024;
/** RFC 1035: a UDP answer without EDNS fits 512 bytes, else it is truncated (the client retries over TCP). */
const CLASSIC_UDP_BYTES = 512;
/** RFC 1035 §2.3.4. */
const MAX_NAME_CHARS = 253;
const MAX_LABEL_CHARS = 63;
/** Negative answers and short TTLs are kept at most this long; anything longer is capped. */
const MAX_CACHE_TTL_S = 300;
const NEGATIVE_CACHE_TTL_S = 30;

export interface DnsProxyOptions {
  /** Answers kept (least recently stored go first). Default 1,000. */
  cacheEntries?: number;
  /** TCP clients at once; one more is closed at accept. Default 256. */
  maxTcpConnections?: number;
  /** A TCP client silent this long is closed. Default 10 s. */
  tcpIdleMs?: number;
  /** Clock (ms) of the cache; default Date.now. */
  now?: () => number;
  log?: (level: 'warn' | 'error', message: string) => void;
}

/** Counters, named as Envoy's DNS filter names them where it has the concept (`dns_filter.<prefix>.*`). */
export class DnsCounters {
  downstream_rx_queries = 0;
  /** FORMERR answers, and datagrams too short to answer at all. */
  downstream_rx_invalid_queries = 0;
  downstream_tx_responses = 0;
  known_domain_queries = 0;
  local_a_record_answers = 0;
  local_aaaa_record_answers = 0;
  /** Queries sent to an upstream resolver. */
  external_queries = 0;
  cache_hits = 0;
  /** Lookups no upstream answered within the budget (the client got SERVFAIL). */
  unanswered_queries = 0;
  /** Queries dropped because `max_pending_lookups` lookups were already in flight (meshcap's flood bound). */
  queries_dropped = 0;
  /** TCP clients closed at accept because the connection bound was reached. */
  downstream_cx_overflow = 0;
}

interface CacheEntry {
  packet: DecodedPacket;
  stored: number;
  expires: number;
}

interface UdpWaiter {
  /** The upstream socket the lookup was sent on (its server's `address|port`). */
  key: string;
  resolve: (msg: Buffer) => void;
}

interface Upstream {
  key: string;
  socket: dgram.Socket;
  connected: boolean;
  failed: boolean;
  queue: Array<{ msg: Buffer; failed: () => void }>;
}

function rcodeOf(msg: Buffer): number {
  return msg.readUInt16BE(2) & 0xf;
}

/** A header-only answer with this rcode (the question is echoed when it could be read). */
function errorReply(id: number, flags: number, rcode: number, question?: Question): Buffer {
  return dnsPacket.encode({ type: 'response', id, flags: (flags & RD) | RA | rcode, questions: question ? [question] : [] });
}

function validName(name: string): boolean {
  if (name === '.' || name === '') return true;
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (n.length > MAX_NAME_CHARS) return false;
  return n.split('.').every((l) => l.length > 0 && l.length <= MAX_LABEL_CHARS);
}

/** The UDP payload size the client accepts (its EDNS OPT record, else 512). */
function udpLimit(q: DecodedPacket): number {
  const opt = q.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  return Math.max(CLASSIC_UDP_BYTES, Math.min(opt?.udpPayloadSize ?? CLASSIC_UDP_BYTES, 65_535));
}

/** Seconds an upstream answer may be reused: its smallest TTL, the SOA's for a negative one; 0 = do not keep. */
function cacheTtl(p: DecodedPacket, rcode: number): number {
  if ((p.flags ?? 0) & TC) return 0;
  const records = (p.answers ?? []).filter((a) => a.type !== 'OPT');
  if (rcode === RCODE.NOERROR && records.length > 0) return Math.min(MAX_CACHE_TTL_S, ...records.map((a) => (a as { ttl?: number }).ttl ?? 0));
  if (rcode !== RCODE.NOERROR && rcode !== RCODE.NXDOMAIN) return 0;
  const soa = (p.authorities ?? []).find((a) => a.type === 'SOA') as { ttl?: number; data?: { minimum?: number } } | undefined;
  if (!soa) return 0;
  return Math.min(NEGATIVE_CACHE_TTL_S, soa.ttl ?? 0, soa.data?.minimum ?? NEGATIVE_CACHE_TTL_S);
}

function addressKey(a: DnsAddress): string {
  return `${a.address}|${a.port}`;
}

export class DnsProxy {
  readonly counters = new DnsCounters();
  private config: DnsProxyConfig;
  private upstreams: DnsAddress[] = [];
  /** UDP and TCP sockets by `address|port`. */
  private readonly sockets = new Map<string, { udp: dgram.Socket; tcp: net.Server }>();
  private readonly tcpClients = new Set<net.Socket>();
  private readonly upstreamSockets = new Map<string, Upstream>();
  /** Upstream UDP lookups by the id we sent them with. */
  private readonly waiting = new Map<number, UdpWaiter>();
  /** Lookups in flight (UDP and TCP upstream). */
  private pending = 0;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly options: Required<Omit<DnsProxyOptions, 'log'>> & Pick<DnsProxyOptions, 'log'>;
  private closed = false;

  constructor(config: DnsProxyConfig, options: DnsProxyOptions = {}) {
    this.config = config;
    this.options = { cacheEntries: 1_000, maxTcpConnections: 256, tcpIdleMs: 10_000, now: Date.now, ...options };
    this.upstreams = this.resolveUpstreams(config);
  }

  /** Where it listens now (ports as bound: a configured port 0 shows the one the kernel chose). */
  addresses(): Array<DnsAddress & { protocol: 'udp' | 'tcp' }> {
    return [...this.sockets.values()].flatMap(({ udp, tcp }) => {
      const t = tcp.address() as net.AddressInfo;
      return [
        { address: udp.address().address, port: udp.address().port, protocol: 'udp' as const },
        { address: t.address, port: t.port, protocol: 'tcp' as const },
      ];
    });
  }

  get name(): string {
    return this.config.name;
  }

  get statPrefix(): string {
    return this.config.statPrefix;
  }

  /** Opens UDP and TCP on every configured address; on failure closes what it opened and throws MESHCAP_ERR_LISTEN. */
  async start(): Promise<void> {
    await this.openMissing(this.config.addresses);
  }

  /**
   * A new config from a new xDS version: the table and forwarding settings apply to the next query;
   * sockets of addresses that stay are kept, new addresses are opened first (if one cannot be, the
   * config is refused and everything stays as it was), then those no longer wanted are closed.
   */
  async update(config: DnsProxyConfig): Promise<void> {
    await this.openMissing(config.addresses);
    const wanted = new Set(config.addresses.map(addressKey));
    for (const [key, s] of this.sockets) {
      if (wanted.has(key)) continue;
      this.sockets.delete(key);
      s.udp.close();
      s.tcp.close();
    }
    this.config = config;
    this.upstreams = this.resolveUpstreams(config);
  }

  private async openMissing(addresses: readonly DnsAddress[]): Promise<void> {
    const opened: string[] = [];
    try {
      for (const a of addresses) {
        const key = addressKey(a);
        if (this.sockets.has(key)) continue;
        let udp: dgram.Socket;
        try {
          udp = await this.listenUdp(a);
        } catch (err) {
          // A namespace with IPv6 turned off has no ::1: no IPv6 query can be redirected to it
          // either, so the proxy serves IPv4 alone (as the engine does without ::6), and says so.
          const errno = ((err as MeshcapError).cause as NodeJS.ErrnoException | undefined)?.code;
          if (a.address === '::1' && errno === 'EADDRNOTAVAIL' && addresses.length > 1) {
            this.options.log?.('warn', `${this.config.name}: ::1 is not available in this namespace (IPv6 off?); DNS proxy on IPv4 only`);
            continue;
          }
          throw err;
        }
        try {
          this.sockets.set(key, { udp, tcp: await this.listenTcp(a, udp.address().port) });
        } catch (err) {
          udp.close();
          throw err;
        }
        opened.push(key);
      }
    } catch (err) {
      for (const key of opened) {
        const s = this.sockets.get(key)!;
        this.sockets.delete(key);
        s.udp.close();
        s.tcp.close();
      }
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.closed = true;
    this.closeListeners();
    for (const c of this.tcpClients) c.destroy();
    for (const u of this.upstreamSockets.values()) u.socket.close();
    this.upstreamSockets.clear();
    this.waiting.clear();
  }

  private resolveUpstreams(config: DnsProxyConfig): DnsAddress[] {
    if (!config.forward) return [];
    return config.forward.upstreams.length > 0 ? config.forward.upstreams : systemResolvers();
  }

  private closeListeners(): void {
    for (const s of this.sockets.values()) {
      s.udp.close();
      s.tcp.close();
    }
    this.sockets.clear();
  }

  private listenUdp(a: DnsAddress): Promise<dgram.Socket> {
    const v6 = net.isIP(a.address) === 6;
    const socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6 });
    return new Promise((resolve, reject) => {
      socket.once('error', (err: NodeJS.ErrnoException) => reject(this.listenError(a, 'udp', err)));
      socket.bind({ address: a.address, port: a.port }, () => {
        socket.removeAllListeners('error');
        socket.on('error', (err) => this.options.log?.('warn', `${this.config.name}: udp ${a.address}:${a.port}: ${err.message}`));
        socket.on('message', (msg, rinfo) => this.onUdp(socket, msg, rinfo));
        resolve(socket);
      });
    });
  }

  /** `port`: the UDP socket's (the kernel chose it when the configured port is 0; TCP takes the same). */
  private listenTcp(a: DnsAddress, port: number): Promise<net.Server> {
    const server = net.createServer((c) => this.onTcp(c));
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(this.listenError(a, 'tcp', err)));
      server.listen({ host: a.address, port, ipv6Only: net.isIP(a.address) === 6 }, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => this.options.log?.('warn', `${this.config.name}: tcp ${a.address}:${a.port}: ${err.message}`));
        resolve(server);
      });
    });
  }

  private listenError(a: DnsAddress, proto: string, err: NodeJS.ErrnoException): MeshcapError {
    const code = err.code === 'EACCES' || err.code === 'EPERM' ? 'MESHCAP_ERR_PERMISSION' : 'MESHCAP_ERR_LISTEN';
    const host = a.address.includes(':') ? `[${a.address}]` : a.address;
    return new MeshcapError(code, `listener ${this.config.name}: cannot listen on ${host}:${a.port}/${proto}: ${err.code ?? err.message}`, [], { cause: err });
  }

  private onUdp(socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.query(msg, false, (reply) => {
      if (this.closed) return;
      this.counters.downstream_tx_responses++;
      try {
        socket.send(reply, rinfo.port, rinfo.address);
      } catch {
        // The socket was closed meanwhile (a reconfiguration moved the proxy): the client retries.
      }
    });
  }

  private onTcp(c: net.Socket): void {
    c.on('error', () => {});
    if (this.tcpClients.size >= this.options.maxTcpConnections || this.closed) {
      this.counters.downstream_cx_overflow++;
      c.destroy();
      return;
    }
    this.tcpClients.add(c);
    c.once('close', () => this.tcpClients.delete(c));
    c.setTimeout(this.options.tcpIdleMs, () => c.destroy());
    let buf: Buffer = Buffer.alloc(0);
    c.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      // RFC 1035 §4.2.2: each message is preceded by its length on two bytes.
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (len === 0) {
          c.destroy();
          return;
        }
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        this.query(Buffer.from(msg), true, (reply) => {
          if (c.destroyed) return;
          // A client that sends queries without reading the answers is not buffered for without bound.
          if (c.writableLength > MAX_TCP_BUFFERED) {
            c.destroy();
            return;
          }
          this.counters.downstream_tx_responses++;
          const head = Buffer.alloc(2);
          head.writeUInt16BE(reply.length);
          c.write(Buffer.concat([head, reply]));
        });
      }
    });
  }

  /**
   * One query: parse, answer from the table or the cache, or forward. `reply` is called at most
   * once. Whatever a client sends, nothing throws out of here (a socket handler that threw would
   * take the dataplane down): an unexpected failure is answered SERVFAIL and counted as invalid.
   */
  private query(msg: Buffer, tcp: boolean, reply: (b: Buffer) => void): void {
    try {
      this.answer(msg, tcp, reply);
    } catch {
      this.counters.downstream_rx_invalid_queries++;
      if (msg.length >= 12) {
        try {
          reply(errorReply(msg.readUInt16BE(0), msg.readUInt16BE(2), RCODE.SERVFAIL));
        } catch {
          // Nothing more to do for this query.
        }
      }
    }
  }

  private answer(msg: Buffer, tcp: boolean, reply: (b: Buffer) => void): void {
    const c = this.counters;
    c.downstream_rx_queries++;
    if (msg.length < 12) {
      // No header: nothing to answer to.
      c.downstream_rx_invalid_queries++;
      return;
    }
    const id = msg.readUInt16BE(0);
    const flags = msg.readUInt16BE(2);
    if (flags & QR) {
      // A response sent to the proxy is never answered (no reflection loops between resolvers).
      c.downstream_rx_invalid_queries++;
      return;
    }
    const formerr = (question?: Question): void => {
      c.downstream_rx_invalid_queries++;
      reply(errorReply(id, flags, RCODE.FORMERR, question));
    };
    if (msg.length > MAX_QUERY_BYTES) return formerr();
    let q: DecodedPacket;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return formerr();
    }
    const opcode = (flags >> 11) & 0xf;
    if (opcode !== 0) {
      reply(errorReply(id, flags, RCODE.NOTIMP));
      return;
    }
    const questions = q.questions ?? [];
    if (questions.length !== 1 || (q.answers?.length ?? 0) > 0 || (q.authorities?.length ?? 0) > 0) return formerr();
    const question = questions[0]!;
    if (typeof question.name !== 'string' || !validName(question.name)) return formerr();
    const key = dnsKey(question.name);
    const record = this.config.domains.get(key);
    if (record && (question.class ?? 'IN') === 'IN') {
      reply(this.localAnswer(q, question, record, tcp));
      return;
    }
    this.forward(msg, q, question, key, tcp, reply);
  }

  private localAnswer(q: DecodedPacket, question: Question, record: DnsRecord, tcp: boolean): Buffer {
    const c = this.counters;
    c.known_domain_queries++;
    const answers: Answer[] = [];
    const want = question.type as string;
    if (want === 'A' || want === 'ANY') {
      for (const a of record.a) answers.push({ type: 'A', name: question.name, ttl: record.ttl, class: 'IN', data: a });
      if (record.a.length > 0) c.local_a_record_answers++;
    }
    if (want === 'AAAA' || want === 'ANY') {
      for (const a of record.aaaa) answers.push({ type: 'AAAA', name: question.name, ttl: record.ttl, class: 'IN', data: a });
      if (record.aaaa.length > 0) c.local_aaaa_record_answers++;
    }
    // Other types of a mesh name (MX, TXT, …): the name exists, with no data of that type (NODATA).
    const packet: Packet = { type: 'response', id: q.id, flags: ((q.flags ?? 0) & RD) | RA | AA, questions: [question], answers };
    return this.fit(packet, q, tcp);
  }

  /** Encodes an answer; over UDP one larger than the client takes is sent truncated (TC, no records). */
  private fit(packet: Packet, q: DecodedPacket, tcp: boolean): Buffer {
    const out = dnsPacket.encode(packet);
    if (tcp || out.length <= udpLimit(q)) return out;
    return dnsPacket.encode({ ...packet, flags: (packet.flags ?? 0) | TC, answers: [], authorities: [], additionals: [] });
  }

  private forward(msg: Buffer, q: DecodedPacket, question: Question, key: string, tcp: boolean, reply: (b: Buffer) => void): void {
    const c = this.counters;
    const fwd = this.config.forward;
    if (!fwd || this.upstreams.length === 0) {
      reply(errorReply(q.id ?? 0, q.flags ?? 0, fwd ? RCODE.SERVFAIL : RCODE.REFUSED, question));
      return;
    }
    const cacheKey = `${key}|${question.type}|${question.class ?? 'IN'}`;
    const cached = this.fromCache(cacheKey, q, question, tcp);
    if (cached) {
      c.cache_hits++;
      reply(cached);
      return;
    }
    if (this.pending >= fwd.maxPending) {
      c.queries_dropped++;
      return;
    }
    c.external_queries++;
    this.pending++;
    void this.lookup(msg, tcp, fwd.timeoutMs)
      .then((answer) => {
        if (!answer) {
          c.unanswered_queries++;
          reply(errorReply(q.id ?? 0, q.flags ?? 0, RCODE.SERVFAIL, question));
          return;
        }
        answer.writeUInt16BE(q.id ?? 0, 0);
        this.store(cacheKey, answer);
        reply(answer);
      })
      .catch(() => {
        c.downstream_rx_invalid_queries++;
      })
      .finally(() => this.pending--);
  }

  /** Asks the upstreams in turn, each with its share of the budget; undefined when none answered. */
  private async lookup(msg: Buffer, tcp: boolean, timeoutMs: number): Promise<Buffer | undefined> {
    const servers = this.upstreams;
    const share = Math.max(250, Math.floor(timeoutMs / servers.length));
    for (const server of servers) {
      if (this.closed) return undefined;
      const answer = tcp ? await this.tcpExchange(server, msg, share) : await this.udpExchange(server, msg, share);
      // An upstream that answers SERVFAIL/REFUSED is skipped if another may do better.
      if (answer && (server === servers.at(-1) || (rcodeOf(answer) !== RCODE.SERVFAIL && rcodeOf(answer) !== RCODE.REFUSED))) return answer;
    }
    return undefined;
  }

  /**
   * One UDP socket per upstream server, connected to it: the kernel then delivers only that
   * server's datagrams (a spoofed answer from elsewhere never reaches us) and sends without a
   * per-datagram route lookup. Datagrams sent before the connect completes wait in `queue`.
   */
  private upstream(server: DnsAddress): Upstream {
    const key = `${server.address}|${server.port}`;
    let u = this.upstreamSockets.get(key);
    if (!u) {
      const socket = dgram.createSocket(net.isIP(server.address.split('%')[0]!) === 6 ? 'udp6' : 'udp4');
      const entry: Upstream = { key, socket, connected: false, failed: false, queue: [] };
      u = entry;
      socket.on('error', (err) => this.options.log?.('warn', `${this.config.name}: upstream ${server.address}:${server.port}: ${err.message}`));
      socket.on('message', (m) => this.onUpstream(m, key));
      socket.connect(server.port, server.address, (err?: Error) => {
        entry.connected = !err;
        entry.failed = !!err;
        for (const q of entry.queue.splice(0)) this.sendUpstream(entry, q.msg, q.failed);
      });
      this.upstreamSockets.set(key, u);
    }
    return u;
  }

  private sendUpstream(u: Upstream, msg: Buffer, failed: () => void): void {
    if (u.failed) return failed();
    if (!u.connected) {
      u.queue.push({ msg, failed });
      return;
    }
    u.socket.send(msg, (err) => {
      if (err) failed();
    });
  }

  private onUpstream(msg: Buffer, key: string): void {
    if (msg.length < 12) return;
    const w = this.waiting.get(msg.readUInt16BE(0));
    // Only the server asked may answer.
    if (w?.key === key) w.resolve(msg);
  }

  /** A fresh random id not in use, so answers are matched to lookups and are hard to guess. */
  private freshId(): number {
    for (;;) {
      const id = Math.floor(Math.random() * 0x10000);
      if (!this.waiting.has(id)) return id;
    }
  }

  private udpExchange(server: DnsAddress, msg: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
    const id = this.freshId();
    const out = Buffer.from(msg);
    out.writeUInt16BE(id, 0);
    return new Promise((resolve) => {
      const done = (answer: Buffer | undefined): void => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(answer);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const u = this.upstream(server);
      this.waiting.set(id, { key: u.key, resolve: done });
      this.sendUpstream(u, out, () => done(undefined));
    });
  }

  private tcpExchange(server: DnsAddress, msg: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const c = net.connect({ host: server.address, port: server.port });
      let buf: Buffer = Buffer.alloc(0);
      const done = (answer: Buffer | undefined): void => {
        clearTimeout(timer);
        c.destroy();
        resolve(answer);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      c.on('error', () => done(undefined));
      c.on('close', () => done(undefined));
      c.on('connect', () => {
        const head = Buffer.alloc(2);
        head.writeUInt16BE(msg.length);
        c.write(Buffer.concat([head, msg]));
      });
      c.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(Buffer.from(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      });
    });
  }

  private store(key: string, answer: Buffer): void {
    let p: DecodedPacket;
    try {
      p = dnsPacket.decode(answer);
    } catch {
      return;
    }
    const ttl = cacheTtl(p, rcodeOf(answer));
    if (ttl <= 0 || this.options.cacheEntries <= 0) return;
    const now = this.options.now();
    this.cache.delete(key);
    this.cache.set(key, { packet: p, stored: now, expires: now + ttl * 1000 });
    while (this.cache.size > this.options.cacheEntries) this.cache.delete(this.cache.keys().next().value!);
  }

  /** A cached answer for this query, its TTLs aged by the time it was kept; undefined on a miss. */
  private fromCache(key: string, q: DecodedPacket, question: Question, tcp: boolean): Buffer | undefined {
    const e = this.cache.get(key);
    if (!e) return undefined;
    const now = this.options.now();
    if (now >= e.expires) {
      this.cache.delete(key);
      return undefined;
    }
    const age = Math.floor((now - e.stored) / 1000);
    const aged = (list: Answer[] | undefined): Answer[] =>
      (list ?? []).filter((a) => a.type !== 'OPT').map((a) => ({ ...a, ttl: Math.max(0, ((a as { ttl?: number }).ttl ?? 0) - age) }) as Answer);
    const rcode = (e.packet.flags ?? 0) & 0xf;
    try {
      return this.fit(
        {
          type: 'response',
          id: q.id,
          flags: ((q.flags ?? 0) & RD) | RA | rcode,
          questions: [question],
          answers: aged(e.packet.answers),
          authorities: aged(e.packet.authorities),
          additionals: aged(e.packet.additionals),
        },
        q,
        tcp,
      );
    } catch {
      this.cache.delete(key);
      return undefined;
    }
  }

  /** Lookups in flight now (for tests and stats). */
  get inFlight(): number {
    return this.pending;
  }
}

/** Starts a DNS proxy; throws MeshcapError when a socket cannot be opened. */
export async function startDnsProxy(config: DnsProxyConfig, options: DnsProxyOptions = {}): Promise<DnsProxy> {
  const proxy = new DnsProxy(config, options);
  await proxy.start();
  return proxy;
}
