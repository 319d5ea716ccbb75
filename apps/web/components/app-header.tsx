'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useSyncExternalStore } from 'react';
import { useMutationToken } from '../features/auth/components/token-provider.tsx';
import { currentTheme, setTheme, subscribeTheme } from '../lib/theme.ts';

const NAV = [
  { href: '/', label: 'Overview', match: (p: string) => p === '/' || (p.startsWith('/meshes') && !/^\/meshes\/[^/]+\/services\//.test(p)) },
  { href: '/services', label: 'Service map', match: (p: string) => p.startsWith('/services') || /^\/meshes\/[^/]+\/services\//.test(p) },
  { href: '/flows', label: 'Flows', match: (p: string) => p.startsWith('/flows') },
  { href: '/policies', label: 'Policies', match: (p: string) => p.startsWith('/policies') },
];

export function AppHeader() {
  const pathname = usePathname();
  return (
    <header className="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
      <div className="mx-auto flex h-14 max-w-screen-xl items-center gap-6 px-6">
        <Link href="/" className="flex items-center gap-2 font-semibold tracking-tight">
          <span aria-hidden className="grid size-7 place-items-center rounded-md bg-sky-700 text-sm text-white">
            mc
          </span>
          meshcap
        </Link>
        <nav aria-label="Main" className="flex gap-1">
          {NAV.map((item) => {
            const active = item.match(pathname);
            return (
              <Link
                key={item.href}
                href={item.href}
                aria-current={active ? 'page' : undefined}
                className={`rounded-md px-3 py-1.5 text-sm font-medium ${
                  active ? 'bg-slate-100 text-slate-900 dark:bg-slate-800 dark:text-white' : 'text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-white'
                }`}
              >
                {item.label}
              </Link>
            );
          })}
        </nav>
        <div className="ml-auto flex items-center gap-2">
          <TokenButton />
          <ThemeButton />
        </div>
      </div>
    </header>
  );
}

function TokenButton() {
  const { hasToken, askToken, forget } = useMutationToken();
  return hasToken ? (
    <button type="button" className="btn-secondary" onClick={forget} title="Changes are allowed in this tab; click to forget the token">
      <span aria-hidden className="size-2 rounded-full bg-emerald-500" />
      Forget token
    </button>
  ) : (
    <button type="button" className="btn-secondary" onClick={() => void askToken()} title="Read-only until a token is given">
      <span aria-hidden className="size-2 rounded-full bg-slate-400" />
      Read-only · Enter token
    </button>
  );
}

function ThemeButton() {
  const theme = useSyncExternalStore(subscribeTheme, currentTheme, () => 'light' as const);
  const next = theme === 'dark' ? 'light' : 'dark';
  return (
    <button type="button" className="btn-secondary" aria-label={`Switch to ${next} theme`} onClick={() => setTheme(next)}>
      <span aria-hidden>{theme === 'dark' ? '☾' : '☀'}</span>
    </button>
  );
}
