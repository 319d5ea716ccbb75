import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type DecodedPacket, type Packet } from 'dns-packet';
import { freePort } from '@meshcap/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DnsProxyConfig, DnsRecord } from './config.ts';
import { parseResolvConf } from './resolv-conf.ts';
import type { DnsProxy} from './server.ts';
import { startDnsProxy } from './server.ts';

// The DNS proxy on real loopback sockets (UDP and TCP, IPv4 and IPv6), forwarding to an upstream
// resolver started here: a small authoritative server for `example.test` built on dns-packet.

interface Upstream {
  port: number;
  seen: string[];
  close(): Promise<void>;
}

/** Answers A for *.example.test (198.18.9.1), NXDOMAIN with an SOA for anything else; `silent`: never answers. */
async function startUpstream(mode: 'answer' | 'silent' = 'answer'): Promise<Upstream> {
  const udp = dgram.createSocket('udp4');
  const tcp = net.createServer();
  const seen: string[] = [];
  const answer = (msg: Buffer): Buffer => {
    const q = dnsPacket.decode(msg);
    const question = q.questions![0]!;
    seen.push(`${question.type} ${question.name}`);
    const known = question.name.toLowerCase().endsWith('example.test');
    const base: Packet = { type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 3), questions: [question] };
    return dnsPacket.encode(
      known
        ? { ...base, answers: question.type === 'A' ? [{ type: 'A', name: question.name, ttl: 120, data: '198.18.9.1' }] : [] }
        : { ...base, authorities: [{ type: 'SOA', name: 'test', ttl: 60, data: { mname: 'ns.test', rname: 'h.test', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 10 } }] },
    );
  };
  udp.on('message', (msg, r) => {
    if (mode === 'silent') return;
    udp.send(answer(msg), r.port, r.address);
  });
  tcp.on('connection', (c) => {
    let buf = Buffer.alloc(0);
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      const out = answer(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      const head = Buffer.alloc(2);
      head.writeUInt16BE(out.length);
      c.end(Buffer.concat([head, out]));
    });
  });
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  const port = udp.address().port;
  await new Promise<void>((r) => tcp.listen(port, '127.0.0.1', () => r()));
  return {
    port,
    seen,
    close: async () => {
      udp.close();
      await new Promise((r) => tcp.close(r));
    },
  };
}

const BACKEND: DnsRecord = { a: ['240.0.0.1'], aaaa: ['::ffff:240.0.0.1'], ttl: 30 };

function config(upstreamPort: number, extra: Partial<DnsProxyConfig> = {}): DnsProxyConfig {
  return {
    name: 'kuma:dns',
    statPrefix: 'kuma_dns',
    addresses: [
      { address: '127.0.0.1', port: 0 },
      { address: '::1', port: 0 },
    ],
    domains: new Map([['backend.mesh', BACKEND]]),
    forward: { timeoutMs: 2_000, maxPending: 64, upstreams: [{ address: '127.0.0.1', port: upstreamPort }] },
    ...extra,
  };
}

function portOf(proxy: DnsProxy, protocol: 'udp' | 'tcp', family: 4 | 6): number {
  return proxy.addresses().find((a) => a.protocol === protocol && net.isIP(a.address) === family)!.port;
}

/** One datagram out, the first datagram back (or undefined after `waitMs`). */
function udpAsk(port: number, msg: Buffer, host = '127.0.0.1', waitMs = 3_000): Promise<Buffer | undefined> {
  const s = dgram.createSocket(net.isIP(host) === 6 ? 'udp6' : 'udp4');
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, waitMs);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(msg, port, host);
  });
}

function tcpAsk(port: number, msg: Buffer, host = '127.0.0.1'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    c.on('error', reject);
    c.on('connect', () => {
      const head = Buffer.alloc(2);
      head.writeUInt16BE(msg.length);
      c.write(Buffer.concat([head, msg]));
    });
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        c.destroy();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
  });
}

let nextId = 1;
function query(name: string, type: 'A' | 'AAAA' | 'MX' = 'A'): Buffer {
  return dnsPacket.encode({ type: 'query', id: nextId++, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] });
}

function rcode(p: Buffer): number {
  return p.readUInt16BE(2) & 0xf;
}

function decode(p: Buffer | undefined): DecodedPacket {
  expect(p, 'an answer').toBeDefined();
  return dnsPacket.decode(p!);
}

describe('DNS proxy on loopback', () => {
  let upstream: Upstream;
  let proxy: DnsProxy;

  beforeAll(async () => {
    upstream = await startUpstream();
    proxy = await startDnsProxy(config(upstream.port));
  });

  afterAll(async () => {
    await proxy?.stop();
    await upstream?.close();
  });

  it('answers a mesh name with its VIP: A and AAAA, over UDP and TCP, on IPv4 and IPv6', async () => {
    const a = decode(await udpAsk(portOf(proxy, 'udp', 4), query('backend.mesh')));
    expect(a.answers).toEqual([expect.objectContaining({ type: 'A', name: 'backend.mesh', data: '240.0.0.1', ttl: 30 })]);
    expect(a.flag_aa).toBe(true);
    const aaaa = decode(await udpAsk(portOf(proxy, 'udp', 6), query('backend.mesh', 'AAAA'), '::1'));
    expect(aaaa.answers).toEqual([expect.objectContaining({ type: 'AAAA', data: '::ffff:f000:1' })]);
    const overTcp = decode(await tcpAsk(portOf(proxy, 'tcp', 4), query('backend.mesh')));
    expect(overTcp.answers?.[0]).toMatchObject({ type: 'A', data: '240.0.0.1' });
    const overTcp6 = decode(await tcpAsk(portOf(proxy, 'tcp', 6), query('backend.mesh', 'AAAA'), '::1'));
    expect(overTcp6.answers?.[0]).toMatchObject({ type: 'AAAA' });
    expect(upstream.seen).toEqual([]);
  });

  it('matches names case-insensitively and echoes the question as asked; other types of a mesh name are NODATA', async () => {
    const a = decode(await udpAsk(portOf(proxy, 'udp', 4), query('BackEnd.Mesh.')));
    expect(a.questions?.[0]?.name).toBe('BackEnd.Mesh');
    expect(a.answers?.[0]).toMatchObject({ data: '240.0.0.1' });
    const mx = await udpAsk(portOf(proxy, 'udp', 4), query('backend.mesh', 'MX'));
    expect(rcode(mx!)).toBe(0);
    expect(decode(mx).answers).toEqual([]);
  });

  it('forwards other names to the upstream and caches the answer', async () => {
    const before = proxy.counters.external_queries;
    const first = decode(await udpAsk(portOf(proxy, 'udp', 4), query('www.example.test')));
    expect(first.answers?.[0]).toMatchObject({ type: 'A', data: '198.18.9.1' });
    const second = decode(await udpAsk(portOf(proxy, 'udp', 6), query('WWW.example.test'), '::1'));
    expect(second.answers?.[0]).toMatchObject({ type: 'A', data: '198.18.9.1' });
    expect(second.questions?.[0]?.name).toBe('WWW.example.test');
    expect(upstream.seen.filter((s) => s === 'A www.example.test')).toHaveLength(1);
    expect(proxy.counters.external_queries - before).toBe(1);
    expect(proxy.counters.cache_hits).toBeGreaterThanOrEqual(1);
  });

  it('passes the upstream NXDOMAIN through for a name neither knows, over UDP and TCP', async () => {
    const udp = await udpAsk(portOf(proxy, 'udp', 4), query('nobody.mesh'));
    expect(rcode(udp!)).toBe(3);
    const tcp = await tcpAsk(portOf(proxy, 'tcp', 4), query('nothing.else'));
    expect(rcode(tcp)).toBe(3);
    expect(upstream.seen).toContain('A nothing.else');
  });

  it('answers FORMERR to garbage, several questions, over-long labels and oversize queries, and keeps serving', async () => {
    const port = portOf(proxy, 'udp', 4);
    const before = proxy.counters.downstream_rx_invalid_queries;
    const garbage = Buffer.from('0102000100000000000000ff0f0f0f0f0f', 'hex');
    expect(rcode((await udpAsk(port, garbage))!)).toBe(1);
    const two = dnsPacket.encode({ type: 'query', id: 7, questions: [{ type: 'A', name: 'a.mesh' }, { type: 'A', name: 'b.mesh' }] });
    expect(rcode((await udpAsk(port, two))!)).toBe(1);
    const long = dnsPacket.encode({ type: 'query', id: 8, questions: [{ type: 'A', name: `${'x'.repeat(70)}.mesh` }] });
    expect(rcode((await udpAsk(port, long))!)).toBe(1);
    const huge = Buffer.concat([query('backend.mesh'), Buffer.alloc(5_000)]);
    const hugeAnswer = await udpAsk(port, huge);
    expect(rcode(hugeAnswer!)).toBe(1);
    expect(hugeAnswer!.readUInt16BE(0)).toBe(huge.readUInt16BE(0));
    // A datagram without a whole header cannot be answered; it is counted.
    expect(await udpAsk(port, Buffer.from([1, 2, 3]), '127.0.0.1', 300)).toBeUndefined();
    const tcpGarbage = await tcpAsk(portOf(proxy, 'tcp', 4), Buffer.from('abcdabcdabcdabcd'));
    expect(rcode(tcpGarbage)).toBe(1);
    expect(proxy.counters.downstream_rx_invalid_queries - before).toBe(6);
    expect(decode(await udpAsk(port, query('backend.mesh'))).answers?.[0]).toMatchObject({ data: '240.0.0.1' });
  });

  it('survives thousands of mutated and random datagrams and TCP messages, then still answers', async () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const valid = [query('backend.mesh'), query('www.example.test', 'AAAA'), dnsPacket.encode({ type: 'query', id: 3, questions: [{ type: 'A', name: 'backend.mesh' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] })];
    const s = dgram.createSocket('udp4');
    const port = portOf(proxy, 'udp', 4);
    for (let i = 0; i < 3_000; i++) {
      const base = Buffer.from(valid[i % valid.length]!);
      const msg = i % 4 === 0 ? Buffer.from(Array.from({ length: rand(64) }, () => rand(256))) : base;
      // Flip some bytes; QR stays clear half of the time so the proxy parses the rest.
      for (let k = rand(4); k > 0; k--) msg[rand(msg.length || 1)] = rand(256);
      if (msg.length > 2 && i % 2) msg[2] = msg[2]! & 0x7f;
      s.send(msg, port, '127.0.0.1');
      if (i % 200 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    s.close();
    const c = net.connect({ host: '127.0.0.1', port: portOf(proxy, 'tcp', 4) });
    await new Promise((r) => c.once('connect', r));
    for (let i = 0; i < 300; i++) {
      const body = Buffer.from(Array.from({ length: 12 + rand(40) }, () => rand(256)));
      const head = Buffer.alloc(2);
      head.writeUInt16BE(body.length);
      c.write(Buffer.concat([head, body]));
    }
    c.destroy();
    expect(decode(await udpAsk(port, query('backend.mesh'))).answers?.[0]).toMatchObject({ data: '240.0.0.1' });
    expect(decode(await tcpAsk(portOf(proxy, 'tcp', 4), query('backend.mesh'))).answers?.[0]).toMatchObject({ data: '240.0.0.1' });
  });

  it('never answers a response (no reflection between resolvers)', async () => {
    const response = dnsPacket.encode({ type: 'response', id: 9, questions: [{ type: 'A', name: 'backend.mesh' }] });
    expect(await udpAsk(portOf(proxy, 'udp', 4), response, '127.0.0.1', 300)).toBeUndefined();
  });
});

describe('DNS proxy with an upstream that never answers', () => {
  let upstream: Upstream;
  let proxy: DnsProxy | undefined;

  beforeAll(async () => {
    upstream = await startUpstream('silent');
  });
  afterEach(async () => {
    await proxy?.stop();
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it('answers SERVFAIL when the lookup budget runs out', async () => {
    proxy = await startDnsProxy(config(upstream.port, { forward: { timeoutMs: 300, maxPending: 8, upstreams: [{ address: '127.0.0.1', port: upstream.port }] } }));
    const answer = await udpAsk(portOf(proxy, 'udp', 4), query('slow.example.test'));
    expect(rcode(answer!)).toBe(2);
    expect(proxy.counters.unanswered_queries).toBe(1);
  });

  it('bounds a flood: at most max_pending_lookups in flight, the rest dropped and counted, mesh names still answered', async () => {
    proxy = await startDnsProxy(config(upstream.port, { forward: { timeoutMs: 5_000, maxPending: 4, upstreams: [{ address: '127.0.0.1', port: upstream.port }] } }));
    const port = portOf(proxy, 'udp', 4);
    const client = dgram.createSocket('udp4');
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
    const N = 100;
    for (let i = 0; i < N - 1; i++) client.send(query(`q${i}.example.test`), port, '127.0.0.1');
    // The last one's callback: every datagram of the flood has left before the mesh query below.
    await new Promise((r) => client.send(query(`q${N - 1}.example.test`), port, '127.0.0.1', r));
    // The mesh answer comes back while the flood waits on the upstream.
    const mesh = decode(await udpAsk(port, query('backend.mesh')));
    expect(mesh.answers?.[0]).toMatchObject({ data: '240.0.0.1' });
    expect(proxy.counters.downstream_rx_queries).toBe(N + 1);
    expect(proxy.inFlight).toBe(4);
    expect(proxy.counters.queries_dropped).toBe(N - 4);
    client.close();
  });

  it('without client_config, other names are REFUSED', async () => {
    proxy = await startDnsProxy(config(upstream.port, { forward: undefined }));
    expect(rcode((await udpAsk(portOf(proxy, 'udp', 4), query('www.example.test')))!)).toBe(5);
  });
});

describe('DNS proxy reconfiguration', () => {
  it('applies a new table to the next query, and moves its sockets when the addresses change', async () => {
    const proxy = await startDnsProxy(config(9, { forward: undefined }));
    try {
      const port = portOf(proxy, 'udp', 4);
      await proxy.update(config(9, { forward: undefined, domains: new Map([['web.mesh', { a: ['240.0.0.2'], aaaa: [], ttl: 30 }]]) }));
      expect(decode(await udpAsk(port, query('web.mesh'))).answers?.[0]).toMatchObject({ data: '240.0.0.2' });
      expect(rcode((await udpAsk(port, query('backend.mesh')))!)).toBe(5);
      await proxy.update(config(9, { forward: undefined, addresses: [{ address: '127.0.0.1', port: 0 }] }));
      expect(proxy.addresses().map((a) => a.protocol)).toEqual(['udp', 'tcp']);
      expect(decode(await udpAsk(portOf(proxy, 'udp', 4), query('backend.mesh'))).answers?.[0]).toMatchObject({ data: '240.0.0.1' });
    } finally {
      await proxy.stop();
    }
  });

  it('keeps the sockets of addresses that stay (IPv4 only → dual stack → IPv6 only on one port)', async () => {
    const port = await freePort();
    const v4 = { address: '127.0.0.1', port };
    const v6 = { address: '::1', port };
    const proxy = await startDnsProxy(config(9, { forward: undefined, addresses: [v4] }));
    try {
      await proxy.update(config(9, { forward: undefined, addresses: [v4, v6] }));
      expect(decode(await udpAsk(port, query('backend.mesh'))).answers?.[0]).toMatchObject({ data: '240.0.0.1' });
      expect(decode(await udpAsk(port, query('backend.mesh'), '::1')).answers?.[0]).toMatchObject({ data: '240.0.0.1' });
      await proxy.update(config(9, { forward: undefined, addresses: [v6] }));
      expect(proxy.addresses().map((a) => `${a.protocol} ${a.address}`)).toEqual(['udp ::1', 'tcp ::1']);
      // A config whose new address cannot be opened is refused, and the proxy keeps what it had.
      await expect(proxy.update(config(9, { forward: undefined, addresses: [v6, { address: '198.18.250.250', port }] }))).rejects.toMatchObject({ code: 'MESHCAP_ERR_LISTEN' });
      expect(proxy.addresses().map((a) => `${a.protocol} ${a.address}`)).toEqual(['udp ::1', 'tcp ::1']);
    } finally {
      await proxy.stop();
    }
  });
});

describe('resolv.conf', () => {
  it('lists the nameservers in order, skipping comments, options and names that are not addresses', () => {
    const text = '# generated\nsearch example.test\nnameserver 198.18.0.53\nnameserver fe80::1%eth0 # link-local\noptions ndots:5\nnameserver dns.example.test\n; nameserver 1.1.1.1\n';
    expect(parseResolvConf(text)).toEqual([
      { address: '198.18.0.53', port: 53 },
      { address: 'fe80::1%eth0', port: 53 },
    ]);
  });
});
