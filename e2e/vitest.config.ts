import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report feeds the suite's closing 'N passed, N failed' line (scripts/test-summary.mjs).
    reporters: ['default', 'json'],
    outputFile: { json: '../.test-results/e2e.json' },
    include: ['src/**/*.test.ts'],
    // The test kit's namespace sweep, then one demo mesh for every spec (started and stopped here).
    globalSetup: ['../packages/testkit/src/global-setup.ts', './src/demo-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // One browser and one demo at a time: the specs share the demo and the machine has two cores.
    fileParallelism: false,
    // The specs in the order a user would meet the features; toggle/export restore what they change.
    sequence: { shuffle: false },
  },
});
