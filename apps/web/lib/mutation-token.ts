/**
 * The control plane's mutation token, kept for this browser tab only (sessionStorage): read-only
 * screens never need it; changing things (policy toggles) sends it as a Bearer token.
 */
const KEY = 'meshcap.token';
const listeners = new Set<() => void>();

function storage(): Storage | null {
  try {
    return typeof window === 'undefined' ? null : window.sessionStorage;
  } catch {
    return null;
  }
}

export function readToken(): string | null {
  return storage()?.getItem(KEY) || null;
}

export function saveToken(token: string): void {
  storage()?.setItem(KEY, token.trim());
  for (const l of listeners) l();
}

export function forgetToken(): void {
  storage()?.removeItem(KEY);
  for (const l of listeners) l();
}

/** For `useSyncExternalStore`. */
export function subscribeToken(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * `meshcap cp` can open the dashboard as `/gui/#token=…`: take the token from the fragment (which
 * never reaches a server log), keep it, and remove it from the address bar.
 */
export function adoptTokenFromLocation(): void {
  if (typeof window === 'undefined') return;
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!match?.[1]) return;
  saveToken(decodeURIComponent(match[1]));
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
}
