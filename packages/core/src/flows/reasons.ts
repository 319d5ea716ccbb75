/**
 * Every reason a flow can record for an outcome other than a plain `forwarded`, in one registry
 * (as errors.ts is for errors). `flow.reason` is a code from here, optionally followed by `: ` and
 * a detail for a person (`bad_request: bare LF in the request head`); the type below makes the
 * compiler refuse a code that is not registered, so the access log's %RESPONSE_FLAGS%, the
 * dashboard and tests can rely on the code and never parse free text.
 *
 * `flag` is Envoy's response flag for the same condition (access-log `%RESPONSE_FLAGS%`), where
 * Envoy has one (a refused downstream handshake has none: Envoy logs no request for it); the codes themselves follow Envoy's %RESPONSE_CODE_DETAILS% where one exists.
 */
export const FLOW_REASONS = {
  // The upstream.
  upstream_connect_refused: { flag: 'UF', means: 'the upstream refused the connection' },
  upstream_connect_timeout: { flag: 'UF', means: 'the upstream did not accept the connection in the connect timeout' },
  upstream_connect_error: { flag: 'UF', means: 'the upstream connection failed for another reason (unreachable, TLS)' },
  no_healthy_upstream: { flag: 'UH', means: 'the cluster has no healthy endpoint' },
  upstream_overflow: { flag: 'UO', means: 'a circuit breaker of the cluster is open' },
  upstream_request_timeout: { flag: 'UT', means: 'the upstream did not answer in the request timeout' },
  grpc_deadline_exceeded: { flag: 'UT', means: "the gRPC call's grpc-timeout ran out before the upstream answered" },
  upstream_reset_before_response: { flag: 'UC', means: 'the upstream connection ended before a response head' },
  upstream_reset_after_response_started: { flag: 'UC', means: 'the upstream connection ended in the middle of the response' },
  upstream_reset: { flag: 'UR', means: 'the upstream reset the TCP stream' },
  upstream_protocol_error: { flag: 'UPE', means: 'the upstream sent a response that is not valid HTTP' },
  // The downstream (the client).
  downstream_disconnect: { flag: 'DC', means: 'the client went away' },
  downstream_disconnect_mid_request: { flag: 'DC', means: 'the client went away before its request was complete' },
  downstream_disconnect_before_upstream: { flag: 'DC', means: 'the client went away before the upstream connection was made' },
  downstream_remote_reset: { flag: 'DC', means: 'the client reset its HTTP/2 stream' },
  downstream_too_many_premature_resets: { flag: 'DC', means: 'the client reset too many HTTP/2 streams early (rapid reset): the connection was drained' },
  bad_request: { flag: 'DPE', means: 'the request is not valid HTTP or its framing is ambiguous' },
  request_headers_too_large: { flag: 'DPE', means: 'the request head is over the byte limit' },
  unsupported_transfer_coding: { flag: 'DPE', means: 'the request uses a transfer coding the proxy does not implement' },
  request_headers_timeout: { flag: 'DPE', means: 'the request head did not arrive in the request headers timeout' },
  // Timeouts of the proxy's own.
  idle_timeout: { flag: 'SI', means: 'the connection was idle for the idle timeout' },
  stream_idle_timeout: { flag: 'SI', means: 'the request or response was idle for the stream idle timeout' },
  max_stream_duration: { flag: 'UMSDR', means: 'the request lasted longer than the max stream duration' },
  // Policies.
  local_rate_limited: { flag: 'RL', means: 'a MeshRateLimit refused the request or connection' },
  fault_abort: { flag: 'FI', means: 'a MeshFaultInjection aborted the request' },
  rbac_access_denied: { flag: 'RBAC', means: 'a MeshTrafficPermission denied the request or connection' },
  route_not_found: { flag: 'NR', means: 'no route of the MeshHTTPRoute matched' },
  redirect: { flag: undefined, means: 'a route answered with a redirect' },
  // Capture and the mesh identity.
  redirect_loop: { flag: 'NR', means: 'the original destination is the proxy itself' },
  no_original_destination: { flag: 'NR', means: 'the kernel gave no original destination for a captured connection' },
  tls_handshake_timeout: { flag: undefined, means: 'the mTLS handshake did not finish in time' },
  tls_handshake_failed: { flag: undefined, means: 'the mTLS handshake failed (no or untrusted certificate)' },
  tls_peer_identity_not_in_mesh: { flag: undefined, means: "the peer's certificate names no identity of this mesh" },
  tls_client_certificate_required: { flag: undefined, means: 'the client sent no certificate where mTLS is strict' },
  tls_client_certificate_untrusted: { flag: undefined, means: "the client's certificate is not signed by the mesh's CA" },
  upstream_tls_handshake_timeout: { flag: 'UF', means: 'the mTLS handshake with the upstream did not finish in time' },
  upstream_tls_handshake_failed: { flag: 'UF', means: 'the mTLS handshake with the upstream failed' },
  upstream_tls_identity_mismatch: { flag: 'UF', means: "the upstream's certificate names an identity the cluster does not expect" },
  // Bugs: they cost the exchange, never the process.
  internal_error: { flag: undefined, means: 'an unexpected error in the proxy (a bug)' },
  pass_error: { flag: undefined, means: 'a policy filter threw (a bug)' },
} as const satisfies Readonly<Record<string, { flag: string | undefined; means: string }>>;

export type FlowReasonCode = keyof typeof FLOW_REASONS;
/** A code, or a code with a detail for a person. */
export type FlowReason = FlowReasonCode | `${FlowReasonCode}: ${string}`;

/** The code of a recorded reason (what comes before `: `). */
export function flowReasonCode(reason: FlowReason): FlowReasonCode {
  const i = reason.indexOf(':');
  return (i < 0 ? reason : reason.slice(0, i)) as FlowReasonCode;
}

/** A reason with a detail, e.g. from an error's message. */
export function flowReason(code: FlowReasonCode, detail: string | undefined): FlowReason {
  return detail ? `${code}: ${detail}` : code;
}

/** For flows that arrive from elsewhere (the dataplane channel): is this a registered code, with or without a detail? */
export function isFlowReason(reason: string): reason is FlowReason {
  return Object.hasOwn(FLOW_REASONS, flowReasonCode(reason as FlowReason));
}
