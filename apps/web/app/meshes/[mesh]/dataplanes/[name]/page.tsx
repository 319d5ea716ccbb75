import { DataplaneOverview } from '~/features/dataplanes/components/dataplane-overview.tsx';
import { dataplaneParams, type DataplaneParams } from './params.ts';

export default async function DataplaneOverviewPage({ params }: { params: DataplaneParams }) {
  const { mesh, name } = await dataplaneParams(params);
  return <DataplaneOverview mesh={mesh} name={name} />;
}
