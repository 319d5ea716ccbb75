import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report feeds the suite's closing 'N passed, N failed' line (scripts/test-summary.mjs).
    reporters: ['default', 'json'],
    outputFile: { json: '../../.test-results/dataplane.json' },
    include: ['src/**/*.test.ts'],
    globalSetup: ['../testkit/src/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
