import { z } from 'zod';
import { policyKind, type PolicyResourceOf } from '../../model/policies/common.ts';

/**
 * MeshAccessLog (kumahq/kuma pkg/plugins/policies/meshaccesslog): where a record of each connection
 * or request goes. Kuma ≤2.2 wrote backends and formats without `type` (`- file: {path: …}`,
 * `format: {plain: …}`); both spellings load, and `type` is filled in from the key that is present.
 * Formats use Envoy's command operators plus Kuma's (%KUMA_MESH%, %KUMA_SOURCE_SERVICE%, …).
 */
const format = z
  .strictObject({
    type: z.enum(['Plain', 'Json']).optional(),
    plain: z.string().optional(),
    json: z.array(z.strictObject({ key: z.string().min(1, 'must not be empty'), value: z.string() })).optional(),
    omitEmptyValues: z.boolean().optional(),
  })
  .superRefine((f, ctx) => {
    if ((f.plain === undefined) === (f.json === undefined)) ctx.addIssue({ code: 'custom', path: [], message: 'needs exactly one of "plain" or "json"' });
    else if (f.type === 'Plain' && f.plain === undefined) ctx.addIssue({ code: 'custom', path: ['plain'], message: 'is required when type is Plain' });
    else if (f.type === 'Json' && f.json === undefined) ctx.addIssue({ code: 'custom', path: ['json'], message: 'is required when type is Json' });
  })
  .transform((f) => ({ ...f, type: f.type ?? (f.plain !== undefined ? 'Plain' : 'Json') }) as AccessLogFormat);

export type AccessLogFormat =
  | { type: 'Plain'; plain: string; omitEmptyValues?: boolean }
  | { type: 'Json'; json: Array<{ key: string; value: string }>; omitEmptyValues?: boolean };

const BACKEND_KEYS = { File: 'file', Tcp: 'tcp', OpenTelemetry: 'openTelemetry' } as const;

const backend = z
  .strictObject({
    type: z.enum(['File', 'Tcp', 'OpenTelemetry']).optional(),
    /** A file; `/dev/stdout` writes to the dataplane's standard output. */
    file: z.strictObject({ path: z.string().min(1, 'must not be empty'), format: format.optional() }).optional(),
    tcp: z.strictObject({ address: z.string().min(1, 'must not be empty'), format: format.optional() }).optional(),
    openTelemetry: z
      .strictObject({
        endpoint: z.string().optional(),
        body: z.unknown().optional(),
        attributes: z.array(z.strictObject({ key: z.string(), value: z.string() })).optional(),
        backendRef: z.looseObject({}).optional(),
      })
      .optional(),
  })
  .superRefine((b, ctx) => {
    const present = (Object.keys(BACKEND_KEYS) as Array<keyof typeof BACKEND_KEYS>).filter((t) => b[BACKEND_KEYS[t]] !== undefined);
    if (present.length !== 1) ctx.addIssue({ code: 'custom', path: [], message: 'needs exactly one of "file", "tcp" or "openTelemetry"' });
    else if (b.type !== undefined && b.type !== present[0]) ctx.addIssue({ code: 'custom', path: ['type'], message: `is ${b.type} but the backend has "${BACKEND_KEYS[present[0]!]}"` });
  })
  .transform((b) => {
    const type = b.type ?? (b.file ? 'File' : b.tcp ? 'Tcp' : 'OpenTelemetry');
    return { ...b, type } as AccessLogBackend;
  });

export type AccessLogBackend =
  | { type: 'File'; file: { path: string; format?: AccessLogFormat } }
  | { type: 'Tcp'; tcp: { address: string; format?: AccessLogFormat } }
  | { type: 'OpenTelemetry'; openTelemetry: { endpoint?: string; body?: unknown; attributes?: Array<{ key: string; value: string }>; backendRef?: Record<string, unknown> } };

export const meshAccessLogConf = z.strictObject({ backends: z.array(backend).optional() });
export interface MeshAccessLogConf {
  backends?: AccessLogBackend[];
}

/** Kuma's default plain formats (Kuma docs, "MeshAccessLog › Format › Plain"). */
export const ACCESS_LOG_DEFAULT_TCP_FORMAT =
  '[%START_TIME%] %RESPONSE_FLAGS% %KUMA_MESH% %KUMA_SOURCE_ADDRESS_WITHOUT_PORT%(%KUMA_SOURCE_SERVICE%)->%UPSTREAM_HOST%(%KUMA_DESTINATION_SERVICE%) took %DURATION%ms, sent %BYTES_SENT% bytes, received: %BYTES_RECEIVED% bytes';
export const ACCESS_LOG_DEFAULT_HTTP_FORMAT =
  '[%START_TIME%] %KUMA_MESH% "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%KUMA_SOURCE_SERVICE%" "%KUMA_DESTINATION_SERVICE%" "%KUMA_SOURCE_ADDRESS_WITHOUT_PORT%" "%UPSTREAM_HOST%"';

export const meshAccessLogSchema = policyKind({ type: 'MeshAccessLog', conf: meshAccessLogConf, from: ['Mesh'], to: ['Mesh', 'MeshService'] });
export type MeshAccessLog = PolicyResourceOf<'MeshAccessLog', MeshAccessLogConf>;
