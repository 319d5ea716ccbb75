import { z } from 'zod';

export const meshItem = z.object({
  type: z.literal('Mesh'),
  name: z.string(),
  creationTime: z.string(),
  modificationTime: z.string(),
  dataplanes: z.object({ total: z.number().int(), online: z.number().int() }),
  policies: z.number().int(),
  /** The Mesh resource as stored (mtls, networking…). */
  resource: z.record(z.string(), z.unknown()),
}).meta({ id: 'Mesh' });

export const meshList = z.object({ total: z.number().int(), items: z.array(meshItem) }).meta({ id: 'MeshList' });
