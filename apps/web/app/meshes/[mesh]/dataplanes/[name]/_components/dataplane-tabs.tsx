'use client';

import { usePathname } from 'next/navigation';
import type { ReactNode } from 'react';
import { LinkTabs } from '~/components/link-tabs.tsx';
import { dataplaneHref } from '~/features/dataplanes/dataplane-href.ts';

const TABS = [
  { segment: '', label: 'Overview' },
  { segment: 'listeners', label: 'Listeners' },
  { segment: 'clusters', label: 'Clusters' },
  { segment: 'rules', label: 'Rules' },
  { segment: 'policies', label: 'Policies' },
  { segment: 'flows', label: 'Flows' },
  { segment: 'config-dump', label: 'Config dump' },
];

/** Each tab is its own route (shareable URLs); the tab semantics stay for assistive technology. */
export function DataplaneTabs({ mesh, name, children }: { mesh: string; name: string; children: ReactNode }) {
  const pathname = usePathname() ?? '';
  const base = dataplaneHref(mesh, name);
  const rest = pathname.startsWith(base) ? pathname.slice(base.length).replace(/^\//, '').split('/')[0] ?? '' : '';
  const active = TABS.find((t) => t.segment === rest) ?? TABS[0]!;
  return (
    <>
      <LinkTabs label="Dataplane sections" panelId="dataplane-tabpanel" tabs={TABS.map((t) => ({ label: t.label, href: dataplaneHref(mesh, name, t.segment || undefined), selected: t === active }))} />
      <div role="tabpanel" id="dataplane-tabpanel" aria-label={active.label}>
        {children}
      </div>
    </>
  );
}
