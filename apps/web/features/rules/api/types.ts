/**
 * Response shapes of the rules and trace routes (apps/api/src/schemas/inspect.ts and capture.ts),
 * from the generated lib/api-types.ts: core's rule-set and trace documents
 * (packages/core/src/capture/ruleset/types.ts, capture/trace/types.ts) as the API declares them.
 */
import type { components, paths } from '../../../lib/api-types.ts';

type Schemas = components['schemas'];

export type Counters = Schemas['RuleCounters'];
/** A rule as core's ruleset reader gives it: where it is, its text, counters, parsed matches and actions. */
export type Rule = Schemas['Rule'];
export type Chain = Schemas['RuleChain'];
export type Table = Schemas['RuleTable'];
/** Where a part of the rule set came from; `unreadable`: why it could not be read (not a warning). */
export type RulesetSource = Schemas['RulesetSource'];
/** `warnings`: what the reader did not understand in the rules. */
export type Ruleset = Schemas['Ruleset'];

/** `GET /api/meshes/{mesh}/dataplanes/{name}/rules`: read by the dataplane in its own namespace, with its addresses (`local`). */
export type RulesResult = Schemas['RulesResult'];

/** Body of `POST .../dataplanes/{name}/trace`: core's `TracePacket` (capture/trace/types.ts). */
export type TraceRequest = paths['/api/meshes/{mesh}/dataplanes/{name}/trace']['post']['requestBody']['content']['application/json'];

/** A rule named in a trace (core's `RuleRef`). */
export type RuleRef = Schemas['RuleRef'];
export type TraceDecider = Schemas['TraceDecider'];
export type TraceStep = Schemas['TraceStep'];
export type TraceVerdict = Schemas['TraceVerdict'];

/** Answer of the trace route: core's `TraceResult`; `steps`: the path assuming every unknown match did not match. */
export type TraceResult = Schemas['TraceResult'];
