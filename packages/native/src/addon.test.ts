import { expect, it } from 'vitest';
import { addon } from './index.ts';

it('loads the N-API addon', () => {
  expect(typeof addon).toBe('object');
});
