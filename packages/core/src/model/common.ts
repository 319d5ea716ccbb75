import { isIP } from 'node:net';
import { z } from 'zod';

/** Kuma resource names: DNS-label-like, with dots allowed (`demo-app`, `backend.kuma-demo`). */
export const resourceName = z
  .string()
  .min(1, 'must not be empty')
  .max(253, 'must be at most 253 characters')
  .regex(/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/, 'must be lower-case letters, digits, "-", "_" or ".", starting and ending with a letter or digit');

export const port = z.number({ error: 'must be a port number' }).int('must be a whole number').min(1, 'must be 1..65535').max(65535, 'must be 1..65535');

export const ipAddress = z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' });

/** Tags such as `kuma.io/service: backend`. */
export const tags = z.record(z.string().min(1), z.string());

/** `kuma.io/service`, the tag that names a service everywhere. */
export const SERVICE_TAG = 'kuma.io/service';
/** `kuma.io/protocol`: `tcp` (default), `http`, `http2`, `grpc`, `kafka`. */
export const PROTOCOL_TAG = 'kuma.io/protocol';

export const protocol = z.enum(['tcp', 'http', 'http2', 'grpc', 'kafka']);
export type Protocol = z.infer<typeof protocol>;

/** Fields every resource has in Kuma's universal format. */
export const resourceMeta = {
  name: resourceName,
  mesh: resourceName.default('default'),
  labels: z.record(z.string(), z.string()).optional(),
  creationTime: z.string().optional(),
  modificationTime: z.string().optional(),
};

/**
 * An address as the kernel prints it: IPv6 compressed and lower-case (`2001:2:0:0::A` → `2001:2::a`),
 * an IPv4-mapped one as its IPv4 address (`::ffff:198.18.0.1` → `198.18.0.1`), IPv4 unchanged.
 * Addresses from resources are compared with socket addresses in this form.
 */
export function canonicalAddress(address: string): string {
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  if (isIP(address) !== 6) return address;
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}
