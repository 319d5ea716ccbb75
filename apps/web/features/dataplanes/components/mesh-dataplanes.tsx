'use client';

import { QueryState } from '../../../components/query-state.tsx';
import { useNow } from '../../../lib/use-now.ts';
import { useDataplanes } from '../api/get-dataplanes.ts';
import { DataplaneTable } from './dataplane-table.tsx';

/** The dataplanes of one mesh. */
export function MeshDataplanes({ mesh }: { mesh: string }) {
  const dataplanes = useDataplanes(mesh);
  const now = useNow();
  return (
    <QueryState query={dataplanes} label="dataplanes" isEmpty={(d) => d.items.length === 0} empty={`No dataplanes in mesh ${mesh} yet.`}>
      {(d) => <DataplaneTable dataplanes={d.items} now={now} />}
    </QueryState>
  );
}
