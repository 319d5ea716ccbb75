import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { MeshcapError, type ErrorIssue } from '../errors.ts';
import type { TransparentProxyOptionKey } from './config.ts';

/**
 * kumactl's transparent-proxy config file (`kumactl install transparent-proxy --config`, Kuma's
 * `pkg/transparentproxy/config` Config as YAML or JSON): the schema, and its translation to
 * meshcap's options. Fields meshcap has no counterpart for are accepted at their off value (a
 * Kuma file written with them loads as it is) and refused, naming the field, when they ask for
 * something meshcap does not do.
 */

const ports = z.union([z.array(z.union([z.number(), z.string()])), z.string(), z.number()]);
const port = z.union([z.number(), z.string()]);

const trafficFlow = z
  .strictObject({
    enabled: z.boolean(),
    port,
    includePorts: ports,
    excludePorts: ports,
    excludePortsForUIDs: z.array(z.string()),
    excludePortsForIPs: z.array(z.string()),
    insertRedirectInsteadOfAppend: z.boolean(),
  })
  .partial();

export const kumaTransparentProxyConfigSchema = z
  .strictObject({
    kumaDPUser: z.union([z.string(), z.number()]),
    redirect: z
      .strictObject({
        inbound: trafficFlow,
        outbound: trafficFlow,
        dns: z.strictObject({ enabled: z.boolean(), port, captureAll: z.boolean(), skipConntrackZoneSplit: z.boolean(), resolvConfigPath: z.string() }).partial(),
        vnet: z.strictObject({ networks: z.array(z.string()) }).partial(),
      })
      .partial(),
    ebpf: z
      .strictObject({
        enabled: z.boolean(),
        instanceIP: z.string(),
        instanceIPEnvVarName: z.string(),
        bpffsPath: z.string(),
        cgroupPath: z.string(),
        programsSourcePath: z.string(),
        tcAttachIface: z.string(),
      })
      .partial(),
    dropInvalidPackets: z.boolean(),
    verbose: z.boolean(),
    dryRun: z.boolean(),
    log: z.strictObject({ enabled: z.boolean(), level: z.number() }).partial(),
    wait: z.number(),
    waitInterval: z.number(),
    retry: z.strictObject({ maxRetries: z.number(), sleepBetweenRetries: z.union([z.string(), z.number()]) }).partial(),
    storeFirewalld: z.boolean(),
    iptablesExecutables: z.record(z.string(), z.unknown()),
    comments: z.strictObject({ disabled: z.boolean() }).partial(),
    ipFamilyMode: z.string(),
    cniMode: z.boolean(),
  })
  .partial()
  .superRefine((c, ctx) => {
    const refuse = (path: string[], what: string) => ctx.addIssue({ code: 'custom', path, message: `meshcap does not support ${what}` });
    if (c.ebpf?.enabled) refuse(['ebpf', 'enabled'], 'eBPF capture (iptables or nftables only)');
    if (c.dropInvalidPackets) refuse(['dropInvalidPackets'], 'dropping invalid packets');
    if (c.storeFirewalld) refuse(['storeFirewalld'], 'storing the rules in firewalld');
    if (c.cniMode) refuse(['cniMode'], 'CNI mode');
    if (c.comments?.disabled) refuse(['comments', 'disabled'], 'rules without comments (uninstall finds its rules by them)');
    if (c.iptablesExecutables && Object.keys(c.iptablesExecutables).length > 0) refuse(['iptablesExecutables'], 'choosing the iptables executables (use iptablesMode: nft or legacy in --config-file)');
    if (c.log?.level !== undefined && c.log.level !== 7) refuse(['log', 'level'], 'a log level other than 7 (debug)');
    if (c.redirect?.outbound?.enabled === false) refuse(['redirect', 'outbound', 'enabled'], 'turning outbound capture off');
    if (c.redirect?.inbound?.excludePortsForUIDs?.length) refuse(['redirect', 'inbound', 'excludePortsForUIDs'], 'inbound exclusions by UID');
    for (const flow of ['inbound', 'outbound'] as const) {
      const f = c.redirect?.[flow];
      if (f?.insertRedirectInsteadOfAppend) refuse(['redirect', flow, 'insertRedirectInsteadOfAppend'], 'inserting the redirect rules');
      const include = f?.includePorts;
      if (include !== undefined && (Array.isArray(include) ? include.length > 0 : String(include).trim() !== '')) refuse(['redirect', flow, 'includePorts'], 'capturing only some ports');
    }
  });

export type KumaTransparentProxyConfig = z.output<typeof kumaTransparentProxyConfigSchema>;

/** One value a Kuma file sets: the meshcap option, its raw value (coerced like a flag's), and the field path for errors. */
export interface KumaConfigValue {
  key: TransparentProxyOptionKey;
  value: unknown;
  field: string;
}

/** What a Kuma file says beyond the options: kumactl's run settings. */
export interface KumaRunSettings {
  dryRun?: boolean;
  verbose?: boolean;
}

function issuesOf(error: z.ZodError, source: string): ErrorIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.join('.');
    const message = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')} (not in kumactl's transparent-proxy config)` : issue.message;
    return { path, message: `${source}: ${path ? `${path}: ` : ''}${message}`, source };
  });
}

/**
 * Parses one Kuma transparent-proxy config document (`source` names it in errors: the file, or
 * `-` for stdin) into the meshcap option values it sets, in the order of the schema.
 */
export function parseKumaTransparentProxyConfig(text: string, source: string): { values: KumaConfigValue[]; run: KumaRunSettings } {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new MeshcapError('MESHCAP_ERR_YAML_SYNTAX', `${source}: ${(err as Error).message.split('\n')[0]}`, [{ message: 'not valid YAML or JSON', source }]);
  }
  const result = kumaTransparentProxyConfigSchema.safeParse(doc ?? {});
  if (!result.success) {
    const issues = issuesOf(result.error, source);
    throw new MeshcapError('MESHCAP_ERR_INVALID_ARGUMENT', issues.map((i) => i.message).join('; '), issues);
  }
  const c = result.data;
  const values: KumaConfigValue[] = [];
  const set = (key: TransparentProxyOptionKey, value: unknown, field: string) => {
    if (value !== undefined) values.push({ key, value, field });
  };
  const { inbound, outbound, dns, vnet } = c.redirect ?? {};
  set('kumaDpUser', c.kumaDPUser, 'kumaDPUser');
  set('redirectInbound', inbound?.enabled, 'redirect.inbound.enabled');
  set('redirectInboundPort', inbound?.port, 'redirect.inbound.port');
  set('excludeInboundPorts', inbound?.excludePorts, 'redirect.inbound.excludePorts');
  set('excludeInboundIps', inbound?.excludePortsForIPs, 'redirect.inbound.excludePortsForIPs');
  set('redirectOutboundPort', outbound?.port, 'redirect.outbound.port');
  set('excludeOutboundPorts', outbound?.excludePorts, 'redirect.outbound.excludePorts');
  set('excludeOutboundPortsForUids', outbound?.excludePortsForUIDs, 'redirect.outbound.excludePortsForUIDs');
  set('excludeOutboundIps', outbound?.excludePortsForIPs, 'redirect.outbound.excludePortsForIPs');
  set('redirectDns', dns?.enabled, 'redirect.dns.enabled');
  // Kuma's captureAll means nothing unless DNS redirection is enabled; meshcap's
  // redirectAllDnsTraffic turns it on by itself, so an explicit `enabled: false` wins here.
  set('redirectAllDnsTraffic', dns?.captureAll === undefined ? undefined : dns.captureAll && dns.enabled !== false, 'redirect.dns.captureAll');
  set('redirectDnsPort', dns?.port, 'redirect.dns.port');
  set('skipDnsConntrackZoneSplit', dns?.skipConntrackZoneSplit, 'redirect.dns.skipConntrackZoneSplit');
  set('resolvConfPath', dns?.resolvConfigPath, 'redirect.dns.resolvConfigPath');
  set('vnet', vnet?.networks, 'redirect.vnet.networks');
  set('iptablesLogs', c.log?.enabled, 'log.enabled');
  set('wait', c.wait, 'wait');
  set('waitInterval', c.waitInterval, 'waitInterval');
  set('maxRetries', c.retry?.maxRetries, 'retry.maxRetries');
  set('sleepBetweenRetries', c.retry?.sleepBetweenRetries, 'retry.sleepBetweenRetries');
  set('ipFamilyMode', c.ipFamilyMode, 'ipFamilyMode');
  return { values, run: { ...(c.dryRun !== undefined ? { dryRun: c.dryRun } : {}), ...(c.verbose !== undefined ? { verbose: c.verbose } : {}) } };
}
