import { KUMA_ALPN } from '../../mtls/envoy.ts';
import { fields, list, reject, str, type Json } from '../xds-config/reader.ts';
import type { TlsSocketConfig } from './decode.ts';

/**
 * Filter chains by transport, as Envoy's tls_inspector selects them: chains with a TLS transport
 * socket serve the connections that arrive with a TLS ClientHello (all of them when no plaintext
 * chain exists: STRICT), the others plaintext. Each side is then chosen among by the usual
 * criteria, so the transport criteria are taken off the match here.
 */

export type Transport = 'tls' | 'raw_buffer';

/** `filter_chain_match` without `transport_protocol` / `application_protocols`, and the transport it named. */
export function splitTransportMatch(value: unknown, where: string): { rest: unknown; transport?: Transport } {
  if (value === undefined) return { rest: undefined };
  const m = fields(value, where, ['destination_port', 'prefix_ranges', 'source_prefix_ranges', 'transport_protocol', 'application_protocols']) as Json;
  const { transport_protocol: tp, application_protocols: ap, ...rest } = m;
  if (tp === undefined) {
    if (ap !== undefined) reject(`${where}.application_protocols`, 'needs transport_protocol "tls"');
    return { rest: m };
  }
  const transport = str(tp, `${where}.transport_protocol`);
  if (transport !== 'tls' && transport !== 'raw_buffer') reject(`${where}.transport_protocol`, `"${transport}" is not supported (tls or raw_buffer)`);
  const alpn = list(ap, `${where}.application_protocols`).map((a, i) => str(a, `${where}.application_protocols[${i}]`));
  // meshcap dp takes every TLS ClientHello for mesh mTLS: an application's own TLS is not told apart.
  if (transport === 'tls' && (alpn.length !== 1 || alpn[0] !== KUMA_ALPN)) reject(`${where}.application_protocols`, `must be ["${KUMA_ALPN}"] with transport_protocol "tls"`);
  if (transport === 'raw_buffer' && alpn.length > 0) reject(`${where}.application_protocols`, 'not with raw_buffer');
  return { rest: Object.keys(rest).length > 0 ? rest : undefined, transport };
}

/** Checks a chain's transport criteria against its transport socket. */
export function checkChainTransport(transport: Transport | undefined, tls: TlsSocketConfig | undefined, where: string): void {
  if (tls && transport === 'raw_buffer') reject(`${where}.filter_chain_match.transport_protocol`, 'raw_buffer with a TLS transport socket');
  if (!tls && transport === 'tls') reject(`${where}.filter_chain_match.transport_protocol`, 'tls needs a transport_socket (meshcap dp does not pass TLS through)');
}

/** Every TLS chain of a listener must terminate with the same settings (one secure context per listener). */
export function sameTls(a: TlsSocketConfig, b: TlsSocketConfig, where: string): void {
  if (a.certificateSecret !== b.certificateSecret || a.caSecret !== b.caSecret || a.requireClientCertificate !== b.requireClientCertificate || JSON.stringify(a.sans) !== JSON.stringify(b.sans)) {
    reject(`${where}.transport_socket`, 'every TLS filter chain of a listener must use the same TLS settings in meshcap dp');
  }
}
