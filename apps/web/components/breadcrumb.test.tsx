import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { Breadcrumb } from './breadcrumb.tsx';

afterEach(cleanup);

describe('Breadcrumb', () => {
  it('links every part but the current page, which it marks', () => {
    render(<Breadcrumb items={[{ label: 'Overview', href: '/' }, { label: 'mesh default', href: '/meshes/default' }, { label: 'dataplanes', href: '/meshes/default/dataplanes' }, { label: 'backend' }]} />);
    const nav = screen.getByRole('navigation', { name: 'Breadcrumb' });
    expect(within(nav).getAllByRole('link').map((a) => [a.textContent, a.getAttribute('href')])).toEqual([
      ['Overview', '/'],
      ['mesh default', '/meshes/default'],
      ['dataplanes', '/meshes/default/dataplanes'],
    ]);
    expect(within(nav).getByText('backend').getAttribute('aria-current')).toBe('page');
  });
});
