'use client';

import { Panel } from '../../../components/page-title.tsx';
import { QueryState } from '../../../components/query-state.tsx';
import { useNow } from '../../../lib/use-now.ts';
import { useDataplanes } from '../../dataplanes/api/get-dataplanes.ts';
import { DataplaneTable } from '../../dataplanes/components/dataplane-table.tsx';

/** The dataplanes that serve `service` (an inbound tagged `kuma.io/service: <service>`). */
export function ServiceDataplanes({ mesh, service }: { mesh: string; service: string }) {
  const q = useDataplanes(mesh);
  const now = useNow();
  return (
    <Panel title="Dataplanes of the service">
      <QueryState query={q} label="dataplanes">
        {(d) => <DataplaneTable dataplanes={d.items.filter((dp) => (dp.tags['kuma.io/service'] ?? '').split(',').includes(service))} now={now} />}
      </QueryState>
    </Panel>
  );
}
