import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { LinkTabs } from './link-tabs.tsx';

afterEach(cleanup);

const TABS = ['Overview', 'Listeners', 'Rules', 'Flows'].map((label, i) => ({ label, href: `/dp/${label.toLowerCase()}`, selected: i === 1 }));

describe('LinkTabs', () => {
  it('is one Tab stop and moves with the arrow keys, Home and End (wrapping), without navigating', () => {
    render(<LinkTabs label="Dataplane sections" panelId="panel" tabs={TABS} />);
    const tabs = screen.getAllByRole('tab');
    expect(tabs.map((t) => t.tabIndex)).toEqual([-1, 0, -1, -1]);
    expect(tabs[1]!.getAttribute('aria-selected')).toBe('true');
    tabs[1]!.focus();
    const key = (k: string) => fireEvent.keyDown(document.activeElement!, { key: k });
    key('ArrowRight');
    expect(document.activeElement).toBe(tabs[2]);
    key('ArrowRight');
    key('ArrowRight');
    expect(document.activeElement).toBe(tabs[0]); // wrapped
    key('ArrowLeft');
    expect(document.activeElement).toBe(tabs[3]);
    key('Home');
    expect(document.activeElement).toBe(tabs[0]);
    key('End');
    expect(document.activeElement).toBe(tabs[3]);
    // moving focus does not select: the route has not changed
    expect(tabs[1]!.getAttribute('aria-selected')).toBe('true');
    expect(tabs[3]!.getAttribute('href')).toBe('/dp/flows');
  });
});
