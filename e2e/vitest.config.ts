import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report feeds the suite's closing 'N passed, N failed' line (scripts/test-summary.mjs).
    reporters: ['default', 'json'],
    outputFile: { json: '../.test-results/e2e.json' },
    include: ['src/**/*.test.ts'],
    globalSetup: ['../packages/testkit/src/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
