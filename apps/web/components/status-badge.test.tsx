import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { StatusBadge } from './status-badge.tsx';

describe('StatusBadge', () => {
  it('names the state for assistive technology', () => {
    render(<StatusBadge connected />);
    expect(screen.getByRole('status', { name: 'connected' }).textContent).toBe('Online');
  });

  it('shows offline', () => {
    render(<StatusBadge connected={false} />);
    expect(screen.getByRole('status', { name: 'disconnected' }).textContent).toBe('Offline');
  });
});
