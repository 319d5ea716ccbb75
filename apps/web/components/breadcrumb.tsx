import Link from 'next/link';
import { Fragment } from 'react';

export interface Crumb {
  label: string;
  /** Every crumb but the last links to its page; the last is the page itself. */
  href?: string;
}

/** Where a page sits: each part a link up, the current page last and marked as such. */
export function Breadcrumb({ items }: { items: Crumb[] }) {
  return (
    <nav aria-label="Breadcrumb" className="muted mb-1 text-xs">
      <ol className="flex flex-wrap items-center gap-1">
        {items.map((c, i) => {
          const last = i === items.length - 1;
          return (
            <Fragment key={i}>
              {i > 0 && (
                <li aria-hidden className="select-none">
                  /
                </li>
              )}
              <li>
                {last || !c.href ? (
                  <span aria-current={last ? 'page' : undefined}>{c.label}</span>
                ) : (
                  <Link className="link" href={c.href}>
                    {c.label}
                  </Link>
                )}
              </li>
            </Fragment>
          );
        })}
      </ol>
    </nav>
  );
}
