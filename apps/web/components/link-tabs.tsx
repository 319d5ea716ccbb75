'use client';

import Link from 'next/link';
import { useRef, type KeyboardEvent } from 'react';

export interface LinkTab {
  label: string;
  href: string;
  selected: boolean;
}

const KEYS = ['ArrowRight', 'ArrowLeft', 'Home', 'End'];

/**
 * Tabs that are links (each tab its own route), with the WAI-ARIA tabs keyboard pattern: the tab
 * list is one Tab stop (the selected tab), Left/Right move between tabs (wrapping), Home/End go to
 * the first/last, and Enter follows the focused tab (manual activation: moving does not navigate).
 */
export function LinkTabs({ label, tabs, panelId }: { label: string; tabs: LinkTab[]; panelId: string }) {
  const list = useRef<HTMLDivElement>(null);
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (!KEYS.includes(e.key)) return;
    const els = [...(list.current?.querySelectorAll<HTMLElement>('[role="tab"]') ?? [])];
    const at = els.indexOf(document.activeElement as HTMLElement);
    if (at === -1) return;
    e.preventDefault();
    const to = e.key === 'Home' ? 0 : e.key === 'End' ? els.length - 1 : (at + (e.key === 'ArrowRight' ? 1 : -1) + els.length) % els.length;
    els[to]?.focus();
  };
  return (
    <div ref={list} role="tablist" aria-label={label} onKeyDown={onKeyDown} className="mb-5 flex gap-1 border-b border-slate-200 dark:border-slate-800">
      {tabs.map((t) => (
        <Link
          key={t.href}
          role="tab"
          aria-selected={t.selected}
          aria-controls={panelId}
          tabIndex={t.selected ? 0 : -1}
          href={t.href}
          className={`-mb-px border-b-2 px-3 py-2 text-sm font-medium focus-visible:outline-2 focus-visible:outline-sky-500 ${
            t.selected ? 'border-sky-600 text-sky-700 dark:border-sky-400 dark:text-sky-300' : 'border-transparent text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-white'
          }`}
        >
          {t.label}
        </Link>
      ))}
    </div>
  );
}
