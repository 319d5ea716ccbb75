import { describe, expect, it } from 'vitest';
import { isAckOfPolicyVersion } from './node-resources.ts';

describe('a dataplane is up to date', () => {
  it('when it ACKed the policy version, alone or followed by its certificates part (mTLS)', () => {
    expect(isAckOfPolicyVersion('3-68239b8eddaa', '3-68239b8eddaa')).toBe(true);
    expect(isAckOfPolicyVersion('3-68239b8eddaa-36006f24', '3-68239b8eddaa')).toBe(true);
    expect(isAckOfPolicyVersion('2-0123456789ab-36006f24', '3-68239b8eddaa')).toBe(false);
    expect(isAckOfPolicyVersion('3-68239b8edda', '3-68239b8eddaa')).toBe(false);
    expect(isAckOfPolicyVersion(null, '3-68239b8eddaa')).toBe(false);
  });
});
