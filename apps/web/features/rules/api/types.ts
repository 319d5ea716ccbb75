/**
 * Response shapes of the rules and trace routes (apps/api/src/schemas/inspect.ts and capture.ts),
 * from the generated lib/api-types.ts: core's rule-set and trace documents
 * (packages/core/src/capture/ruleset/types.ts, capture/trace/types.ts) as the API declares them.
 */
import type { paths } from '../../../lib/api-types.ts';

export type {
  RuleCounters as Counters,
  /** A rule as core's ruleset reader gives it: where it is, its text, counters, parsed matches and actions. */
  Rule,
  RuleChain as Chain,
  RuleTable as Table,
  /** Where a part of the rule set came from; `unreadable`: why it could not be read (not a warning). */
  RulesetSource,
  /** `warnings`: what the reader did not understand in the rules. */
  Ruleset,
  /** `GET /api/meshes/{mesh}/dataplanes/{name}/rules`: read by the dataplane in its own namespace, with its addresses (`local`). */
  RulesResult,
  /** A rule named in a trace (core's `RuleRef`). */
  RuleRef,
  TraceDecider,
  TraceStep,
  TraceVerdict,
  /** Answer of the trace route: core's `TraceResult`; `steps`: the path assuming every unknown match did not match. */
  TraceResult,
} from '../../../lib/api-types.ts';

/** Body of `POST .../dataplanes/{name}/trace`: core's `TracePacket` (capture/trace/types.ts). */
export type TraceRequest = paths['/api/meshes/{mesh}/dataplanes/{name}/trace']['post']['requestBody']['content']['application/json'];
