import { describe, expect, it } from 'vitest';
import { FLOW_REASONS, flowReason, flowReasonCode, isFlowReason } from './reasons.ts';

describe('flow reasons', () => {
  it('reads the code of a reason with or without a detail', () => {
    expect(flowReasonCode('idle_timeout')).toBe('idle_timeout');
    expect(flowReasonCode(flowReason('bad_request', 'bare LF in the request head'))).toBe('bad_request');
    expect(flowReason('bad_request', 'bare LF: at byte 12')).toBe('bad_request: bare LF: at byte 12');
    expect(flowReason('upstream_connect_refused', undefined)).toBe('upstream_connect_refused');
    expect(isFlowReason('bad_request: bare LF')).toBe(true);
    expect(isFlowReason('made_up_reason')).toBe(false);
    expect(isFlowReason('toString')).toBe(false);
  });

  it('registers codes as snake_case words, each with what it means and at most an Envoy response flag', () => {
    for (const [code, r] of Object.entries(FLOW_REASONS)) {
      expect(code).toMatch(/^[a-z0-9]+(?:_[a-z0-9]+)*$/);
      expect(r.means.length).toBeGreaterThan(10);
      if (r.flag !== undefined) expect(r.flag).toMatch(/^[A-Z]{2,5}$/);
    }
  });
});
