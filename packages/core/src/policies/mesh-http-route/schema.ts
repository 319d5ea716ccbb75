import { z } from 'zod';
import { tags } from '../../model/common.ts';
import { headerMatchSchema, policyKind, type PolicyResourceOf } from '../../model/policies/common.ts';
import { compileRe2 } from '../../xds/name-regex.ts';

/**
 * MeshHTTPRoute (kumahq/kuma pkg/plugins/policies/meshhttproute/api/v1alpha1): per destination
 * service (`to[].targetRef`, MeshService), rules whose `matches` pick requests (path Exact /
 * PathPrefix / RegularExpression, method, headers, query parameters) and whose `default` says what
 * happens to them: `filters` (header modifiers, redirect, URL rewrite) and `backendRefs` (weighted
 * services or subsets). A `to[]` entry has `rules` instead of Kuma's usual `default`.
 */

export const pathMatchSchema = z
  .strictObject({ type: z.enum(['Exact', 'PathPrefix', 'RegularExpression']), value: z.string() })
  .superRefine((m, ctx) => {
    if (m.type === 'RegularExpression') {
      const re = compileRe2(m.value);
      if (typeof re === 'string') ctx.addIssue({ code: 'custom', path: ['value'], message: `invalid regular expression: ${re}` });
    } else if (!m.value.startsWith('/')) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'must start with "/"' });
    }
  });

const METHODS = ['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE'] as const;

const routeHeaderMatch = headerMatchSchema.superRefine((m, ctx) => {
  if (m.type === 'RegularExpression') {
    const re = compileRe2(m.value ?? '');
    if (typeof re === 'string') ctx.addIssue({ code: 'custom', path: ['value'], message: `invalid regular expression: ${re}` });
  }
});

export const queryParamMatchSchema = z
  .strictObject({ type: z.enum(['Exact', 'RegularExpression']), name: z.string().min(1, 'must not be empty'), value: z.string() })
  .superRefine((m, ctx) => {
    if (m.type !== 'RegularExpression') return;
    const re = compileRe2(m.value);
    if (typeof re === 'string') ctx.addIssue({ code: 'custom', path: ['value'], message: `invalid regular expression: ${re}` });
  });

export const httpMatchSchema = z.strictObject({
  path: pathMatchSchema.optional(),
  method: z.enum(METHODS).optional(),
  headers: z.array(routeHeaderMatch).optional(),
  queryParams: z.array(queryParamMatchSchema).optional(),
});
export type HttpMatch = z.output<typeof httpMatchSchema>;

const headerName = z.string().min(1, 'must not be empty').regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name');
const headerKeyValue = z.strictObject({ name: headerName, value: z.string().regex(/^[^\r\n\0]*$/, 'must not hold CR, LF or NUL') });

export const routeHeaderModifierSchema = z.strictObject({
  add: z.array(headerKeyValue).max(16, 'at most 16 headers').optional(),
  set: z.array(headerKeyValue).max(16, 'at most 16 headers').optional(),
  remove: z.array(headerName).max(16, 'at most 16 headers').optional(),
});
export type RouteHeaderModifier = z.output<typeof routeHeaderModifierSchema>;

const pathRewriteSchema = z
  .strictObject({ type: z.enum(['ReplaceFullPath', 'ReplacePrefixMatch']), replaceFullPath: z.string().optional(), replacePrefixMatch: z.string().optional() })
  .superRefine((p, ctx) => {
    const value = p.type === 'ReplaceFullPath' ? p.replaceFullPath : p.replacePrefixMatch;
    const field = p.type === 'ReplaceFullPath' ? 'replaceFullPath' : 'replacePrefixMatch';
    if (value === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is required for type ${p.type}` });
    else if (!value.startsWith('/')) ctx.addIssue({ code: 'custom', path: [field], message: 'must start with "/"' });
  });
export type PathRewrite = z.output<typeof pathRewriteSchema>;

const hostname = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'must be a hostname');

const filterSchema = z
  .strictObject({
    type: z.enum(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite']),
    requestHeaderModifier: routeHeaderModifierSchema.optional(),
    responseHeaderModifier: routeHeaderModifierSchema.optional(),
    requestRedirect: z
      .strictObject({
        scheme: z.enum(['http', 'https']).optional(),
        hostname: hostname.optional(),
        path: pathRewriteSchema.optional(),
        port: z.number().int().min(1, 'must be a port (1-65535)').max(65535, 'must be a port (1-65535)').optional(),
        statusCode: z.union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)], { error: 'must be 301, 302, 303, 307 or 308' }).optional(),
      })
      .optional(),
    urlRewrite: z.strictObject({ hostname: hostname.optional(), path: pathRewriteSchema.optional(), hostToBackendHostname: z.boolean().optional() }).optional(),
  })
  .superRefine((f, ctx) => {
    const field = (f.type[0]!.toLowerCase() + f.type.slice(1)).replace('uRLRewrite', 'urlRewrite') as 'requestHeaderModifier' | 'responseHeaderModifier' | 'requestRedirect' | 'urlRewrite';
    if (f[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is required for type ${f.type}` });
    for (const other of ['requestHeaderModifier', 'responseHeaderModifier', 'requestRedirect', 'urlRewrite'] as const) {
      if (other !== field && f[other] !== undefined) ctx.addIssue({ code: 'custom', path: [other], message: `must not be set for type ${f.type}` });
    }
    if (f.urlRewrite?.hostToBackendHostname) ctx.addIssue({ code: 'custom', path: ['urlRewrite', 'hostToBackendHostname'], message: 'is not supported by meshcap (services have no backend hostname)' });
  });
export type HttpRouteFilter = z.output<typeof filterSchema>;

/** Kuma's BackendRef: a service (MeshService) or a subset of its endpoints (MeshServiceSubset), with a weight (default 1). */
export const backendRefSchema = z
  .strictObject({
    kind: z.enum(['MeshService', 'MeshServiceSubset'], { error: 'must be MeshService or MeshServiceSubset' }),
    name: z.string().min(1, 'must not be empty'),
    tags: tags.optional(),
    weight: z.number({ error: 'must be a whole number' }).int('must be a whole number').min(0, 'must not be negative').max(1_000_000, 'must be at most 1000000').optional(),
    port: z.number().int().min(1).max(65535).optional(),
    namespace: z.string().optional(),
  })
  .superRefine((b, ctx) => {
    if (b.kind === 'MeshServiceSubset' && (b.tags === undefined || Object.keys(b.tags).length === 0)) ctx.addIssue({ code: 'custom', path: ['tags'], message: 'is required for kind MeshServiceSubset' });
    if (b.kind === 'MeshService' && b.tags !== undefined) ctx.addIssue({ code: 'custom', path: ['tags'], message: 'must not be set for kind MeshService (use MeshServiceSubset)' });
  });
export type BackendRef = z.output<typeof backendRefSchema>;

/** backendRefs whose weights are all 0 would send nothing anywhere: refused, as the issue's "weights that sum to 0". */
export const backendRefsSchema = z
  .array(backendRefSchema)
  .max(32, 'at most 32 backends')
  .superRefine((refs, ctx) => {
    if (refs.length > 0 && refs.reduce((sum, r) => sum + (r.weight ?? 1), 0) === 0) ctx.addIssue({ code: 'custom', message: 'the weights sum to 0: no backend would get any traffic' });
  });

export const httpRuleSchema = z
  .strictObject({
    matches: z.array(httpMatchSchema).min(1, 'needs at least one match').max(32, 'at most 32 matches'),
    default: z.strictObject({ filters: z.array(filterSchema).max(16, 'at most 16 filters').optional(), backendRefs: backendRefsSchema.optional() }),
  })
  .superRefine((r, ctx) => {
    const filters = r.default.filters ?? [];
    const redirect = filters.findIndex((f) => f.type === 'RequestRedirect');
    if (redirect >= 0 && r.default.backendRefs?.length) ctx.addIssue({ code: 'custom', path: ['default', 'backendRefs'], message: 'must not be set with a RequestRedirect filter (the proxy answers the redirect itself)' });
    if (filters.filter((f) => f.type === 'RequestRedirect').length > 1) ctx.addIssue({ code: 'custom', path: ['default', 'filters'], message: 'at most one RequestRedirect filter' });
    if (filters.filter((f) => f.type === 'URLRewrite').length > 1) ctx.addIssue({ code: 'custom', path: ['default', 'filters'], message: 'at most one URLRewrite filter' });
    // ReplacePrefixMatch replaces the matched prefix: only a PathPrefix match has one (Kuma's validation).
    filters.forEach((f, i) => {
      const path = f.urlRewrite?.path ?? f.requestRedirect?.path;
      if (path?.type === 'ReplacePrefixMatch' && !r.matches.every((m) => m.path?.type === 'PathPrefix')) {
        ctx.addIssue({ code: 'custom', path: ['default', 'filters', i], message: 'ReplacePrefixMatch needs every match of the rule to be a PathPrefix match' });
      }
    });
  });
export type HttpRule = z.output<typeof httpRuleSchema>;

/** The conf meshcap merges per outbound: the rules of every matching `to[]` entry. */
export interface MeshHTTPRouteConf {
  rules: HttpRule[];
}

export const meshHTTPRouteSchema = policyKind({
  type: 'MeshHTTPRoute',
  conf: z.never(),
  rules: z.array(httpRuleSchema).max(64, 'at most 64 rules'),
  top: ['Mesh', 'MeshSubset', 'MeshService', 'MeshServiceSubset'],
  to: ['MeshService'],
}) as unknown as z.ZodType<PolicyResourceOf<'MeshHTTPRoute', MeshHTTPRouteConf>>;
export type MeshHTTPRoute = PolicyResourceOf<'MeshHTTPRoute', MeshHTTPRouteConf>;
