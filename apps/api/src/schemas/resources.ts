import { z } from 'zod';

export const resourceChange = z.object({
  type: z.string(),
  mesh: z.string(),
  name: z.string(),
  action: z.enum(['created', 'updated', 'unchanged', 'deleted', 'absent']),
  version: z.number().int(),
}).meta({ id: 'ResourceChange' });

export const applyResult = z.object({ changes: z.array(resourceChange) }).meta({ id: 'ApplyResult' });

export const storedResource = z.object({
  type: z.string(),
  mesh: z.string(),
  name: z.string(),
  version: z.number().int(),
  creationTime: z.string(),
  modificationTime: z.string(),
  resource: z.record(z.string(), z.unknown()),
  /** The text it was applied from. */
  source: z.string(),
}).meta({ id: 'StoredResource' });

export const resourceParams = z.object({ mesh: z.string(), type: z.string(), name: z.string() });
