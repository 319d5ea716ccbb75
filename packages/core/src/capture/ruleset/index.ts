// Reading rules back: iptables-save text and nft JSON into one typed model, and the live rule set.
export type {
  Action,
  Chain,
  ConntrackState,
  Counters,
  Hook,
  IdCondition,
  MarkChange,
  Match,
  PortRange,
  Rule,
  RuleBackend,
  Ruleset,
  RulesetSource,
  Table,
  TableFamily,
} from './types.ts';
export { parseIptablesSave, IPTABLES_BUILTIN_CHAINS, type ParseIptablesSaveOptions } from './iptables-save.ts';
export { parseNftJson, parseNftHandles, type ParseNftJsonOptions } from './nft-json.ts';
export { readLiveRuleset, mergeRulesets, type ReadLiveRulesetOptions } from './live.ts';
