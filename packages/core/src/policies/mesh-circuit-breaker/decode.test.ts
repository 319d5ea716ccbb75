import { describe, expect, it } from 'vitest';
import { MeshcapError } from '../../errors.ts';
import { decodeCircuitBreakers, decodeOutlierDetection, DEFAULT_LIMITS } from './decode.ts';

const refusal = (run: () => unknown): string => {
  try {
    run();
  } catch (err) {
    if (err instanceof MeshcapError) return err.message;
    throw err;
  }
  return 'accepted';
};

describe('circuit_breakers and outlier_detection as meshcap dp enforces them', () => {
  it("fills Envoy's defaults", () => {
    expect(decodeCircuitBreakers({ thresholds: [{ max_requests: 7 }] }, 'x')).toEqual({ ...DEFAULT_LIMITS, maxRequests: 7 });
    expect(decodeOutlierDetection({}, 'x')).toMatchObject({
      intervalMs: 10_000,
      baseEjectionMs: 30_000,
      maxEjectionPercent: 10,
      consecutive5xx: { threshold: 5, enforcing: 100 },
      consecutiveGatewayFailure: { threshold: 5, enforcing: 0 },
      consecutiveLocalOriginFailure: { enforcing: 0 },
      successRate: { enforcing: 100, minimumHosts: 5, requestVolume: 100, stdevFactor: 1.9 },
      failurePercentage: { enforcing: 0, threshold: 85 },
    });
  });

  it('refuses, naming the field, what it does not enforce', () => {
    expect(refusal(() => decodeCircuitBreakers({ thresholds: [{ priority: 'HIGH', max_requests: 1 }] }, 'Cluster "c".circuit_breakers'))).toBe(
      'Cluster "c".circuit_breakers.thresholds[0].priority: only DEFAULT is supported (meshcap dp has no route priorities)',
    );
    expect(refusal(() => decodeCircuitBreakers({ thresholds: [{ max_requests: 1 }], retry_budget: {} }, 'cb'))).toMatch(/^cb\.retry_budget: not supported/);
    expect(refusal(() => decodeOutlierDetection({ max_ejection_percent: 101 }, 'od'))).toBe('od.max_ejection_percent: must be 0..100');
    expect(refusal(() => decodeOutlierDetection({ interval: '0s' }, 'od'))).toBe('od.interval: must be more than 0s');
    expect(refusal(() => decodeOutlierDetection({ split_external_local_origin_errors: true }, 'od'))).toMatch(/^od\.enforcing_local_origin_success_rate: must be 0/);
  });
});
