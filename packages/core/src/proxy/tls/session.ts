import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { X509Certificate } from 'node:crypto';
import { connect as tlsConnect, TLSSocket, type PeerCertificate } from 'node:tls';
import { uriSans } from '../../mtls/ca.ts';
import type { FlowTls, FlowReason, FlowReasonCode } from '../../flows/index.ts';
import { sansMatch, type TlsSocketConfig } from './decode.ts';

/**
 * mTLS on the data path, with node:tls: the inbound side terminates it (client certificate from the
 * mesh CA required, peer identity from its URI SANs), the outbound side originates it to mesh
 * services (SNI and ALPN as Kuma sends them, the server's SPIFFE ID checked). Secure contexts come
 * from the SDS secrets in force when the listener or cluster was built: a rotated certificate
 * applies to new connections, open ones keep theirs.
 */

/** The first byte of a TLS record carrying a handshake (ClientHello): what tls_inspector looks for. */
const TLS_HANDSHAKE = 0x16;

function peerOf(s: TLSSocket): { sans: string[]; cert: PeerCertificate | undefined } {
  const cert = s.getPeerCertificate();
  const present = cert && Object.keys(cert).length > 0 ? cert : undefined;
  return { sans: uriSans(present?.subjectaltname), cert: present };
}

function flowTls(s: TLSSocket, sans: string[], verified: boolean): FlowTls {
  const cipher = s.getCipher();
  return { mode: 'mtls', verified, peer: sans, version: s.getProtocol() ?? undefined, cipher: cipher?.standardName ?? cipher?.name };
}

/**
 * PERMISSIVE: reads the first bytes; TLS when they start a handshake. The bytes are not lost: the
 * caller gets them back (`head`) to replay. A client that sends nothing (it closed, or its protocol
 * waits for the server to speak first) is plaintext once it ended or `timeoutMs` passed, as Envoy's
 * tls_inspector continues on its listener filter timeout (15 s by default) as Kuma configures it.
 */
export function peekTransport(socket: Socket, timeoutMs: number): Promise<{ tls: boolean; head?: Buffer }> {
  return new Promise((resolve) => {
    const done = (r: { tls: boolean; head?: Buffer }): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.pause();
      resolve(r);
    };
    const onData = (chunk: Buffer): void => done({ tls: chunk[0] === TLS_HANDSHAKE, head: chunk });
    const onEnd = (): void => done({ tls: false });
    const timer = setTimeout(() => done({ tls: false }), timeoutMs);
    timer.unref();
    socket.once('data', onData);
    socket.once('end', onEnd);
    socket.resume();
  });
}

/** A stream over `socket` that first yields `head` (bytes already read): TLS reads through it, not from the socket's handle. */
function replaying(socket: Socket, head: Buffer): Duplex {
  const d = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  d.push(head);
  socket.on('data', (c: Buffer) => {
    if (!d.push(c)) socket.pause();
  });
  socket.once('end', () => d.push(null));
  socket.once('close', () => d.destroy());
  return d;
}

export type InboundTlsResult = { ok: true; socket: TLSSocket; tls: FlowTls } | { ok: false; reason: FlowReason; tls: FlowTls };

/**
 * Whether the peer's certificate chains to one of the trusted CAs and is valid now. OpenSSL checked
 * the handshake's signatures; a TLSSocket made outside a tls.Server leaves the chain verdict to its
 * owner, so it is taken here with node:crypto (the mesh CA signs leaves directly).
 */
function chainsToTrusted(s: TLSSocket, trusted: readonly X509Certificate[]): boolean {
  const leaf = s.getPeerX509Certificate();
  if (!leaf) return false;
  const now = Date.now();
  if (now < Date.parse(leaf.validFrom) || now > Date.parse(leaf.validTo)) return false;
  return trusted.some((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey) && now <= Date.parse(ca.validTo));
}

/**
 * Terminates mTLS on an accepted connection (`head`: bytes already read from it). STRICT: no
 * certificate fails the handshake with an alert; a certificate the mesh CA did not sign is refused
 * right after it; either comes back as the refusal reason for the flow.
 */
export function terminateTls(socket: Socket, config: TlsSocketConfig, handshakeTimeoutMs: number, head?: Buffer): Promise<InboundTlsResult> {
  return new Promise((resolve) => {
    const s = new TLSSocket(head ? replaying(socket, head) : socket, {
      isServer: true,
      secureContext: config.context,
      requestCert: true,
      rejectUnauthorized: config.requireClientCertificate,
      ALPNProtocols: config.alpn.length > 0 ? config.alpn : undefined,
    });
    let done = false;
    const finish = (r: InboundTlsResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.off('error', onError);
      if (!r.ok) {
        s.destroy();
        socket.destroy();
      } else {
        s.on('error', () => {});
      }
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: 'tls_handshake_timeout', tls: { mode: 'mtls', verified: false } }), handshakeTimeoutMs);
    timer.unref();
    const onError = (err: NodeJS.ErrnoException): void => finish({ ok: false, reason: `tls_handshake_failed: ${err.code ?? err.message}`, tls: { mode: 'mtls', verified: false } });
    s.on('error', onError);
    s.once('secure', () => {
      const { sans, cert } = peerOf(s);
      const verified = cert !== undefined && chainsToTrusted(s, config.trusted);
      let reason: FlowReasonCode | undefined;
      if (config.requireClientCertificate && !verified) reason = cert ? 'tls_client_certificate_untrusted' : 'tls_client_certificate_required';
      else if (verified && !sansMatch(config.sans, sans)) reason = 'tls_peer_identity_not_in_mesh';
      finish(reason ? { ok: false, reason, tls: flowTls(s, sans, false) } : { ok: true, socket: s, tls: flowTls(s, sans, verified) });
    });
    if (!head) socket.resume();
  });
}

/** Why originating mTLS failed (`upstream_tls_…`), for the flow. */
export class UpstreamTlsFailure extends Error {
  override name = 'UpstreamTlsFailure';
  constructor(readonly reason: FlowReason) {
    super(reason);
  }
}

/**
 * The TLS sessions to resume, per cluster TLS config and endpoint (Envoy keeps `max_session_keys`
 * per cluster): a resumed TLS 1.3 handshake skips the server's certificate signature and the
 * client's check of it, the costliest part of a new mTLS connection. The server's identity was
 * proven when the session was made and is kept in it (the SANs are still checked). A new config
 * version, such as a rotated certificate or trust bundle, starts with none.
 */
interface Resumable {
  session: Buffer;
  /** The server's URI SANs, verified when the session was made (a resumed handshake carries no certificate). */
  sans: string[];
}
const resumable = new WeakMap<TlsSocketConfig, Map<string, Resumable>>();
const MAX_SESSIONS_PER_CLUSTER = 256;
/** The verified URI SANs of each originated connection, for its flow. */
const serverSans = new WeakMap<TLSSocket, string[]>();

function keepSession(config: TlsSocketConfig, endpoint: string, session: Resumable): void {
  let sessions = resumable.get(config);
  if (!sessions) resumable.set(config, (sessions = new Map()));
  sessions.delete(endpoint);
  if (sessions.size >= MAX_SESSIONS_PER_CLUSTER) sessions.delete(sessions.keys().next().value!);
  sessions.set(endpoint, session);
}

/**
 * Originates mTLS over a connected socket to `endpoint` (`address:port`, whose last session is
 * resumed); resolves once the server proved the identity the cluster expects.
 */
export function originateTls(socket: Socket, config: TlsSocketConfig, timeoutMs: number, endpoint: string): Promise<TLSSocket> {
  const resumed = resumable.get(config)?.get(endpoint);
  return new Promise((resolve, reject) => {
    const s = tlsConnect({
      socket,
      session: resumed?.session,
      secureContext: config.context,
      servername: config.sni,
      ALPNProtocols: config.alpn.length > 0 ? config.alpn : undefined,
      rejectUnauthorized: true,
      // The identity is a URI SAN (SPIFFE ID), not a host name: checked below against the cluster's matchers.
      checkServerIdentity: () => undefined,
    });
    const timer = timeoutMs > 0 ? setTimeout(() => fail('upstream_tls_handshake_timeout'), timeoutMs) : undefined;
    const fail = (reason: FlowReason): void => {
      clearTimeout(timer);
      s.destroy();
      socket.destroy();
      reject(new UpstreamTlsFailure(reason));
    };
    s.once('error', (err: NodeJS.ErrnoException) => fail(`upstream_tls_handshake_failed: ${err.code ?? err.message}`));
    // TLS 1.3 sends its tickets after the handshake (1.2 just before it ends): the newest is the one
    // to resume. Its SANs are checked again on resumption, so a ticket of a refused server stays refused.
    let sans: string[] = [];
    s.on('session', (session: Buffer) => keepSession(config, endpoint, { session, sans: sans.length > 0 ? sans : peerOf(s).sans }));
    s.once('secureConnect', () => {
      sans = s.isSessionReused() && resumed ? resumed.sans : peerOf(s).sans;
      if (!sansMatch(config.sans, sans)) {
        fail(`upstream_tls_identity_mismatch: ${sans.join(',') || 'none'}`);
        return;
      }
      clearTimeout(timer);
      s.removeAllListeners('error');
      s.on('error', () => {});
      serverSans.set(s, sans);
      resolve(s);
    });
  });
}

/** The flow's TLS record of an outbound connection: the server's verified identity. */
export function upstreamTls(s: TLSSocket): FlowTls {
  return flowTls(s, serverSans.get(s) ?? peerOf(s).sans, true);
}
