import { z } from 'zod';
import { resourceName } from './common.ts';

export const meshSchema = z.looseObject({
  type: z.literal('Mesh'),
  name: resourceName,
  labels: z.record(z.string(), z.string()).optional(),
  creationTime: z.string().optional(),
  modificationTime: z.string().optional(),
  /** meshcap has no mTLS; a Mesh that enables it loads, and policies that need it get a warning. */
  mtls: z
    .looseObject({
      enabledBackend: z.string().optional(),
      backends: z.array(z.looseObject({ name: z.string(), type: z.string() })).optional(),
    })
    .optional(),
  networking: z.looseObject({}).optional(),
});

export type Mesh = z.infer<typeof meshSchema>;
