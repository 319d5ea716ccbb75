import { z } from 'zod';
import { formatPath, MeshcapError } from '../../errors.ts';
import { parseIpValue } from '../ruleset/address.ts';
import type { TracePacket } from './types.ts';

const ip = z.string().refine((s) => parseIpValue(s) !== undefined, { message: 'not an IPv4 or IPv6 address' });
const port = z.number().int().min(1).max(65535);
const id = z.number().int().min(0).max(0xfffffffe);
// Linux interface names: 1–15 bytes, no '/', no whitespace.
const iface = z.string().regex(/^[^\s/]{1,15}$/, { message: 'not an interface name (1-15 characters, no "/" or spaces)' });

/** The shape `tracePacket` accepts: validated once here, then trusted inside. */
export const tracePacketSchema = z
  .object({
    direction: z.enum(['inbound', 'outbound']),
    src: ip,
    dst: ip,
    dstPort: port,
    srcPort: port.optional(),
    proto: z.enum(['tcp', 'udp']),
    uid: id.optional(),
    gid: id.optional(),
    mark: z.number().int().min(0).max(0xffffffff).optional(),
    inIface: iface.optional(),
    outIface: iface.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const s = parseIpValue(p.src);
    const d = parseIpValue(p.dst);
    if (s && d && s.family !== d.family) ctx.addIssue({ code: 'custom', path: ['dst'], message: `${p.dst} and source ${p.src} are of different IP families` });
  });

/** Validates a packet description; a bad field is MESHCAP_ERR_INVALID_ARGUMENT naming the field and value. */
export function parseTracePacket(input: unknown): TracePacket {
  const parsed = tracePacketSchema.safeParse(input);
  if (parsed.success) return parsed.data as TracePacket;
  const issues = parsed.error.issues.map((i) => {
    const path = formatPath(i.path as PropertyKey[]);
    const value = path && typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[String(i.path[0])] : undefined;
    return { path, message: value === undefined ? i.message : `${JSON.stringify(value)}: ${i.message}` };
  });
  const summary = issues.map((i) => `${i.path || 'packet'}: ${i.message}`).join('; ');
  throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', `invalid packet: ${summary}`, issues);
}
