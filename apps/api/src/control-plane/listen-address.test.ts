import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { serverAddresses } from './cp-tls.ts';
import { advertisedHost, parseListenAddress } from './listen-address.ts';

describe('the address a replica advertises to the others', () => {
  it('is the listen address itself when it is one address', () => {
    expect(advertisedHost('127.0.0.1')).toBe('127.0.0.1');
    expect(advertisedHost('198.18.0.5')).toBe('198.18.0.5');
  });

  it('is never a wildcard, and is an address the certificate of a wildcard listener names', () => {
    const local = new Set(Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address)));
    for (const wildcard of ['0.0.0.0', '::']) {
      const host = advertisedHost(wildcard);
      expect(host).not.toBe(wildcard);
      expect(local.has(host) || host === '127.0.0.1' || host === '::1').toBe(true);
      expect(serverAddresses(wildcard)).toContain(host);
    }
  });

  it('parses what --listen takes', () => {
    expect(parseListenAddress('0.0.0.0:5681')).toEqual({ host: '0.0.0.0', port: 5681 });
    expect(parseListenAddress(':5681')).toEqual({ host: '127.0.0.1', port: 5681 });
    expect(() => parseListenAddress('nope')).toThrow(/is not HOST:PORT/);
  });
});
