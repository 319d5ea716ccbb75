import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../flows/index.ts';
import { parseRequestHead, parseResponseHead } from '../../proxy/http/head.ts';
import { compileAccessLogFormat, responseFlags, type AccessLogRecord } from './format.ts';

const START = Date.UTC(2026, 10, 22, 16, 48, 12, 345);

function flow(over: Partial<FlowRecord> = {}): FlowRecord {
  return {
    id: 'f-1',
    connectionId: 'c-1',
    start: START,
    mesh: 'default',
    dataplane: 'backend-1',
    direction: 'inbound',
    listener: 'inbound:198.18.3.10:15000',
    cluster: 'localhost:5000',
    capture: 'explicit',
    protocol: 'http',
    client: { address: '198.18.3.1', port: 40000 },
    destination: { address: '198.18.3.10', port: 15000 },
    upstream: { address: '127.0.0.1', port: 5000 },
    bytes: { fromClient: 120, toClient: 300 },
    http: { method: 'GET', authority: 'backend', path: '/a?b=1', status: 200, requestBytes: 0, responseBytes: 42, requestId: 'rid-1', attempts: 1 },
    timings: { connectMs: 0.4, firstByteMs: 3.6, totalMs: 4.4 },
    verdict: 'forwarded',
    policies: [],
    ...over,
  };
}

const request = parseRequestHead(Buffer.from('GET /a?b=1 HTTP/1.1\r\nHost: backend\r\nUser-Agent: curl/8.0\r\nX-Request-Id: rid-1\r\n\r\n'));
const response = parseResponseHead(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 42\r\nX-Envoy-Upstream-Service-Time: 3\r\n\r\n'));

function record(over: Partial<AccessLogRecord> = {}): AccessLogRecord {
  return { flow: flow(), request, response, sourceService: 'web', destinationService: 'backend', sourceAddress: '198.18.3.1', ...over };
}

describe('access log formats', () => {
  it("renders Kuma's default HTTP format", () => {
    const line = compileAccessLogFormat(undefined, 'http').render(record());
    expect(line).toBe(
      '[2026-11-22T16:48:12.345Z] default "GET /a?b=1 HTTP/1.1" 200 - 0 42 4 3 "-" "curl/8.0" "rid-1" "backend" "web" "backend" "198.18.3.1" "127.0.0.1:5000"\n',
    );
  });

  it("renders Kuma's default TCP format", () => {
    const tcp = flow({ protocol: 'tcp', http: undefined, close: 'fin', timings: { totalMs: 1500.4 } });
    const line = compileAccessLogFormat(undefined, 'tcp').render(record({ flow: tcp, request: undefined, response: undefined }));
    expect(line).toBe('[2026-11-22T16:48:12.345Z] - default 198.18.3.1(web)->127.0.0.1:5000(backend) took 1500ms, sent 300 bytes, received: 120 bytes\n');
  });

  it('prints - for what is not set, honours :N and REQ alternatives, and %% is a percent sign', () => {
    const f = compileAccessLogFormat({ type: 'Plain', plain: '%REQ(X-NONE)% %REQ(X-NONE?USER-AGENT):4% %RESP(CONTENT-LENGTH)% 100%% %UPSTREAM_TRANSPORT_FAILURE_REASON%' }, 'http');
    expect(f.render(record())).toBe('- curl 42 100% -\n');
    const omit = compileAccessLogFormat({ type: 'Plain', plain: '[%REQ(X-NONE)%]', omitEmptyValues: true }, 'http');
    expect(omit.render(record())).toBe('[]\n');
  });

  it('formats START_TIME with a strftime pattern', () => {
    const f = compileAccessLogFormat({ type: 'Plain', plain: '%START_TIME(%Y/%m/%d %H:%M:%S.%3f %s)%' }, 'http');
    expect(f.render(record())).toBe(`2026/11/22 16:48:12.345 ${Math.floor(START / 1000)}\n`);
  });

  it('renders JSON, keeping lone numeric operators numbers and leaving out empty values when asked', () => {
    const json = [
      { key: 'duration', value: '%DURATION%' },
      { key: 'status', value: '%RESPONSE_CODE%' },
      { key: 'route', value: '%KUMA_SOURCE_SERVICE%->%KUMA_DESTINATION_SERVICE%' },
      { key: 'missing', value: '%REQ(X-NONE)%' },
      { key: 'direction', value: '%KUMA_TRAFFIC_DIRECTION%' },
    ];
    expect(JSON.parse(compileAccessLogFormat({ type: 'Json', json }, 'http').render(record()))).toEqual({ duration: 4, status: 200, route: 'web->backend', missing: '-', direction: 'INBOUND' });
    expect(JSON.parse(compileAccessLogFormat({ type: 'Json', json, omitEmptyValues: true }, 'http').render(record()))).not.toHaveProperty('missing');
  });

  it('refuses an operator Envoy does not know, names it; prints - for the ones meshcap cannot fill', () => {
    expect(() => compileAccessLogFormat({ type: 'Plain', plain: '%NOT_AN_OPERATOR%' }, 'http')).toThrow('unknown command operator %NOT_AN_OPERATOR%');
    expect(() => compileAccessLogFormat({ type: 'Plain', plain: '%REQ%' }, 'http')).toThrow('needs a header name');
    expect(compileAccessLogFormat({ type: 'Plain', plain: '%DOWNSTREAM_PEER_URI_SAN% %DYNAMIC_METADATA(x:y)%' }, 'http').render(record())).toBe('- -\n');
  });
});

describe('responseFlags', () => {
  it.each([
    [{}, undefined],
    [{ verdict: 'error', reason: 'upstream_connect_refused' }, 'UF'],
    [{ verdict: 'error', reason: 'upstream_connect_error: EHOSTUNREACH' }, 'UF'],
    [{ verdict: 'error', reason: 'upstream_request_timeout' }, 'UT'],
    [{ verdict: 'denied', reason: 'local_rate_limited: over 2 connections per 1m' }, 'RL'],
    [{ verdict: 'faulted', reason: 'fault_abort' }, 'FI'],
    [{ policies: [{ type: 'MeshFaultInjection', name: 'f', action: 'delay 1s' }] }, 'DI'],
  ] as Array<[Partial<FlowRecord>, string | undefined]>)('%j → %s', (over, flags) => {
    expect(responseFlags(flow(over))).toBe(flags);
  });

  it('adds URX when retries ran out', () => {
    const f = flow({ http: { ...flow().http!, status: 503, attempts: 4 } });
    expect(responseFlags(f)).toBe('URX');
  });
});
