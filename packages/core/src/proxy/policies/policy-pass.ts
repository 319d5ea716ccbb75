import type { ActingPolicy, HttpExchangeContext, HttpPass, HttpPassSlot, TcpConnectionContext, TcpPass, TcpPassSlot } from '../chain.ts';
import type { ConfSource } from './conf-source.ts';

/**
 * The step every policy kind's pass shares: pick what applies to this connection or request from
 * the kind's compiled source, and act only when something does. A kind's pass (its folder's
 * `pass.ts`) says what it does with the picked value; naming the pass, leaving it out of the chain
 * when nothing can ever be picked, and the pick itself live here.
 */

/** `MeshTimeout/timeout-a,timeout-b`: the pass's name in the chain listing. */
export function passName(type: string, source: ConfSource<{ policy: ActingPolicy }>): string {
  const names = [...new Set(source.candidates().map((c) => c.policy.name))];
  return names.length ? `${type}/${names.join(',')}` : type;
}

/** A TCP pass's hooks, each given the value picked for the connection (not called when none applies). */
export interface PickedTcpHooks<T> {
  onConnect?(ctx: TcpConnectionContext, picked: T): void | Promise<void>;
  onClose?(ctx: TcpConnectionContext, picked: T): void;
}

/** An HTTP pass's hooks, each given the value picked for the request (not called when none applies). */
export interface PickedHttpHooks<T> {
  onRequest?(ctx: HttpExchangeContext, picked: T): void | Promise<void>;
  onResponse?(ctx: HttpExchangeContext, picked: T): void | Promise<void>;
  onComplete?(ctx: HttpExchangeContext, picked: T): void;
}

/** The TCP pass of policy `type` in `slot`; undefined (left out of the chain) when `source` can pick nothing. */
export function policyTcpPass<T extends { policy: ActingPolicy }>(type: string, slot: TcpPassSlot, source: ConfSource<T>, hooks: PickedTcpHooks<T>): TcpPass | undefined {
  if (source.empty) return undefined;
  const pick = (ctx: TcpConnectionContext): T | undefined => source.pick(ctx.client, ctx.destination);
  const pass: Mutable<TcpPass> = { slot, name: passName(type, source), onConnect: onPicked(pick, hooks.onConnect) ?? (() => {}) };
  if (hooks.onClose) pass.onClose = onPicked(pick, hooks.onClose);
  return pass;
}

/** The HTTP pass of policy `type` in `slot`; undefined (left out of the chain) when `source` can pick nothing. */
export function policyHttpPass<T extends { policy: ActingPolicy }>(type: string, slot: HttpPassSlot, source: ConfSource<T>, hooks: PickedHttpHooks<T>): HttpPass | undefined {
  if (source.empty) return undefined;
  const pick = (ctx: HttpExchangeContext): T | undefined => source.pick(ctx.flow.client, ctx.flow.destination);
  // Only the hooks given are set: the engine skips a hook no pass of the chain has.
  const pass: Mutable<HttpPass> = { slot, name: passName(type, source) };
  if (hooks.onRequest) pass.onRequest = onPicked(pick, hooks.onRequest);
  if (hooks.onResponse) pass.onResponse = onPicked(pick, hooks.onResponse);
  if (hooks.onComplete) pass.onComplete = onPicked(pick, hooks.onComplete);
  return pass;
}

type Mutable<P> = { -readonly [K in keyof P]: P[K] };

/** `hook`, called with what `pick` chose for the context, and not at all when it chose nothing. */
function onPicked<C, T, R>(pick: (ctx: C) => T | undefined, hook: ((ctx: C, picked: T) => R) | undefined): ((ctx: C) => R | undefined) | undefined {
  if (!hook) return undefined;
  return (ctx) => {
    const picked = pick(ctx);
    return picked === undefined ? undefined : hook(ctx, picked);
  };
}
