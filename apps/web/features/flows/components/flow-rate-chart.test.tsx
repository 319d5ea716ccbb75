import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { makeFlow } from '../../../test/flow-fixtures.ts';
import { FlowRateChart } from './flow-rate-chart.tsx';

afterEach(cleanup);

describe('FlowRateChart', () => {
  it('counts denials, local replies and 4xx/5xx answers as errors, and says so', () => {
    const now = Date.now();
    const at = (i: number) => now - 500 - i * 100;
    const ok = (i: number) => makeFlow(1, { id: `ok-${i}`, start: at(i), verdict: 'forwarded', http: { ...makeFlow(1).http!, status: 200 } });
    const flows = [
      // the backend's side of a call it denied, and the caller's side of that same call
      makeFlow(2, { start: at(0), verdict: 'denied', http: { ...makeFlow(2).http!, status: 403 } }),
      makeFlow(3, { start: at(1), verdict: 'forwarded', http: { ...makeFlow(3).http!, status: 403 } }),
      makeFlow(4, { start: at(2), verdict: 'forwarded', http: { ...makeFlow(4).http!, status: 503 } }),
      makeFlow(5, { start: at(3), verdict: 'faulted', http: { ...makeFlow(5).http!, status: 500 } }),
      ...Array.from({ length: 16 }, (_, i) => ok(i + 4)),
    ];
    render(<FlowRateChart flows={flows} />);
    // 4 errors of 20 flows
    expect(screen.getByText('Error rate').nextElementSibling!.textContent).toBe('20.0%');
    const counts = screen.getByLabelText('What the error rate counts');
    expect(counts.textContent).toContain('1 denied · 1 faulted · 1 4xx · 1 5xx in 10 s');
    expect(counts.textContent).toContain('denials');
    expect(counts.textContent).toContain('4xx/5xx');
  });
});
