// @vitest-environment node
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_TYPES_FILE, generateApiTypes } from '../scripts/generate-api-types.ts';

describe('lib/api-types.ts', () => {
  it('is what openapi-typescript makes of the control plane schemas (else: npm run generate:api-types -w @meshcap/web)', async () => {
    const generated = await generateApiTypes();
    expect(generated).toContain('FlowRecord: {');
    expect(readFileSync(API_TYPES_FILE, 'utf8'), 'lib/api-types.ts is stale: run `npm run generate:api-types -w @meshcap/web` and commit it').toBe(generated);
  }, 60_000);
});
