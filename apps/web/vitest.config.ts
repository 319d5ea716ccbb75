import { defineConfig } from 'vitest/config';

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic' } },
  test: {
    // The JSON report feeds the suite's closing 'N passed, N failed' line (scripts/test-summary.mjs).
    reporters: ['default', 'json'],
    outputFile: { json: '../../.test-results/web.json' },
    environment: 'happy-dom',
    include: ['**/*.test.tsx', '**/*.test.ts'],
    exclude: ['node_modules/**', '.next/**'],
  },
});
