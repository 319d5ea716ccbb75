'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { ReactNode } from 'react';
import { dataplaneHref } from '~/features/dataplanes/dataplane-href.ts';

const TABS = [
  { segment: '', label: 'Overview' },
  { segment: 'listeners', label: 'Listeners' },
  { segment: 'rules', label: 'Rules' },
  { segment: 'policies', label: 'Policies' },
  { segment: 'flows', label: 'Flows' },
  { segment: 'config-dump', label: 'Config dump' },
];

/** Each tab is its own route (shareable URLs); the tab semantics stay for assistive technology. */
export function DataplaneTabs({ mesh, name, children }: { mesh: string; name: string; children: ReactNode }) {
  const pathname = usePathname();
  const base = dataplaneHref(mesh, name);
  const rest = pathname.startsWith(base) ? pathname.slice(base.length).replace(/^\//, '').split('/')[0] ?? '' : '';
  const active = TABS.find((t) => t.segment === rest) ?? TABS[0]!;
  return (
    <>
      <div role="tablist" aria-label="Dataplane sections" className="mb-5 flex gap-1 border-b border-slate-200 dark:border-slate-800">
        {TABS.map((t) => {
          const selected = t === active;
          return (
            <Link
              key={t.segment}
              role="tab"
              aria-selected={selected}
              aria-controls="dataplane-tabpanel"
              href={dataplaneHref(mesh, name, t.segment || undefined)}
              className={`-mb-px border-b-2 px-3 py-2 text-sm font-medium ${
                selected ? 'border-sky-600 text-sky-700 dark:border-sky-400 dark:text-sky-300' : 'border-transparent text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-white'
              }`}
            >
              {t.label}
            </Link>
          );
        })}
      </div>
      <div role="tabpanel" id="dataplane-tabpanel" aria-label={active.label}>
        {children}
      </div>
    </>
  );
}
