'use client';

import { createContext, useCallback, useContext, useEffect, useId, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import { adoptTokenFromLocation, forgetToken, readToken, saveToken, subscribeToken } from '../../../lib/mutation-token.ts';

interface TokenContext {
  hasToken: boolean;
  /** Resolves true once a token is stored (asking for it when there is none), false if the user cancels. */
  ensureToken: (reason?: string) => Promise<boolean>;
  /** Ask again even if one is stored (the API refused it). */
  askToken: (reason?: string) => Promise<boolean>;
  forget: () => void;
}

const Ctx = createContext<TokenContext | null>(null);

export function useMutationToken(): TokenContext {
  const ctx = useContext(Ctx);
  if (!ctx) throw new Error('useMutationToken must be used inside <TokenProvider>');
  return ctx;
}

export function TokenProvider({ children }: { children: ReactNode }) {
  const hasToken = useSyncExternalStore(subscribeToken, () => readToken() !== null, () => false);
  const [prompt, setPrompt] = useState<{ reason: string; resolve: (ok: boolean) => void } | null>(null);

  useEffect(() => adoptTokenFromLocation(), []);

  const askToken = useCallback(
    (reason?: string) =>
      new Promise<boolean>((resolve) => {
        setPrompt({ reason: reason ?? 'Changes need the control plane token (printed by `meshcap cp` at start).', resolve });
      }),
    [],
  );
  const ensureToken = useCallback((reason?: string) => (readToken() ? Promise.resolve(true) : askToken(reason)), [askToken]);
  const value = useMemo(() => ({ hasToken, ensureToken, askToken, forget: forgetToken }), [hasToken, ensureToken, askToken]);

  return (
    <Ctx.Provider value={value}>
      {children}
      {prompt && (
        <TokenDialog
          reason={prompt.reason}
          onDone={(token) => {
            if (token) saveToken(token);
            prompt.resolve(Boolean(token));
            setPrompt(null);
          }}
        />
      )}
    </Ctx.Provider>
  );
}

function TokenDialog({ reason, onDone }: { reason: string; onDone: (token: string | null) => void }) {
  const titleId = useId();
  const inputId = useId();
  const [value, setValue] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-slate-950/50 p-4" onKeyDown={(e) => e.key === 'Escape' && onDone(null)}>
      <div role="dialog" aria-modal="true" aria-labelledby={titleId} className="w-full max-w-md rounded-lg border border-slate-200 bg-white p-5 shadow-xl dark:border-slate-700 dark:bg-slate-900">
        <h2 id={titleId} className="text-lg font-semibold">
          Control plane token
        </h2>
        <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">{reason}</p>
        <form
          className="mt-4 space-y-3"
          onSubmit={(e) => {
            e.preventDefault();
            if (value.trim()) onDone(value.trim());
          }}
        >
          <label htmlFor={inputId} className="block text-sm font-medium">
            Token
          </label>
          <input
            id={inputId}
            ref={input}
            type="password"
            autoComplete="off"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            className="w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm dark:border-slate-600 dark:bg-slate-950"
          />
          <p className="text-xs text-slate-500 dark:text-slate-400">Kept for this tab only (session storage).</p>
          <div className="flex justify-end gap-2">
            <button type="button" className="btn-secondary" onClick={() => onDone(null)}>
              Cancel
            </button>
            <button type="submit" className="btn-primary" disabled={!value.trim()}>
              Save token
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
