import { ListenerTable } from '~/features/dataplanes/components/listener-table.tsx';
import { ListenerMetrics } from '~/features/metrics/components/listener-metrics.tsx';
import { dataplaneParams, type DataplaneParams } from '../params.ts';

export default async function ListenersPage({ params }: { params: DataplaneParams }) {
  const { mesh, name } = await dataplaneParams(params);
  return (
    <div className="space-y-4">
      <ListenerTable mesh={mesh} name={name} />
      <ListenerMetrics mesh={mesh} name={name} />
    </div>
  );
}
