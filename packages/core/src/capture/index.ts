// The public surface of capture: build, render, install and remove transparent-proxy rules.
export * from './constants.ts';
export type {
  IpFamily,
  NetfilterTable,
  TransportProtocol,
  RuleMatch,
  RuleTarget,
  CaptureRule,
  PolicyRouting,
  FamilyRules,
  CaptureRuleSet,
} from './rules.ts';
export { BUILTIN_CHAINS, TABLE_ORDER, isBuiltinChain } from './rules.ts';
export {
  transparentProxyOptions,
  transparentProxyConfigSchema,
  parseTransparentProxyConfig,
  defaultTransparentProxyConfig,
  parseUidExclusion,
  envVarName,
  type TransparentProxyConfig,
  type TransparentProxyConfigInput,
  type ResolvedTransparentProxyConfig,
  type TransparentProxyOption,
  type TransparentProxyOptionKey,
  type UidExclusion,
  type OptionOrigin,
} from './config.ts';
export { loadTransparentProxyConfig, loadTransparentProxyOptions, type TransparentProxyConfigSources } from './config-sources.ts';
export { kumaTransparentProxyConfigSchema, parseKumaTransparentProxyConfig, type KumaConfigValue, type KumaRunSettings, type KumaTransparentProxyConfig } from './kuma-config.ts';
export { resolveTransparentProxyConfig, uidFromPasswd, type HostFiles } from './resolve.ts';
export { parseCidr, nameserversFromResolvConf, type Cidr } from './ip-address.ts';
export { buildRules } from './build.ts';
export { iptablesRuleSpec, renderIptablesRestore, renderIptablesSave, policyRoutingCommands } from './render-iptables.ts';
export { renderNftTable, renderNftScript, nftBaseChain, nftFamily } from './render-nftables.ts';
export { renderDryRun } from './render-dry-run.ts';
export { detectIptablesFlavour, removalFromSave, type IptablesFlavour } from './iptables-backend.ts';
export { installTransparentProxy, uninstallScopeOf, uninstallTransparentProxy, type InstallOptions, type InstallResult, type UninstallResult, type UninstallScope } from './install.ts';
export { runSystemCommand, type CaptureContext, type CommandResult } from './system-command.ts';
// Reading rules back (iptables-save / nft JSON, with counters); PortRange comes from there.
export * from './ruleset/index.ts';
export * from './trace/index.ts';
