import { describe } from 'vitest';
import { inCI, netnsSupport } from './privilege.ts';

/**
 * `describe` for tests that need root and network namespaces. Where they cannot run: under CI the
 * suite fails loudly; elsewhere it is skipped with a message that says why.
 */
export function describeNetns(name: string, fn: () => void): void {
  const support = netnsSupport();
  if (support.ok) {
    describe(name, fn);
    return;
  }
  if (inCI()) {
    describe(name, () => {
      throw new Error(`${name}: real-kernel tests must run in CI, but ${support.reason}`);
    });
    return;
  }
  console.warn(`[meshcap testkit] skipping "${name}": ${support.reason}`);
  describe.skip(name, fn);
}
